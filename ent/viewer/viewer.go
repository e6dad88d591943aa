package viewer

import "context"

// Role is what a viewer may do; staff roles are ordered by power.
type Role string

// Roles known to Tierlink.
const (
	RoleAdmin   Role = "admin"
	RoleBuyer   Role = "buyer"
	RoleViewer  Role = "viewer"
	RolePartner Role = "partner"
	RoleSystem  Role = "system"
)

// Valid reports whether r is a role a user account may hold.
func (r Role) Valid() bool {
	switch r {
	case RoleAdmin, RoleBuyer, RoleViewer, RolePartner:
		return true
	}
	return false
}

// Staff reports whether r belongs to the company's own people.
func (r Role) Staff() bool { return r == RoleAdmin || r == RoleBuyer || r == RoleViewer }

// Viewer describes the acting principal of a request or job.
type Viewer struct {
	UserID    int
	Role      Role
	PartnerID int // set only for partner users
	ContactID int // the partner user's contact, for group membership
	Label     string
	RequestID string
}

// System is the viewer jobs and start-up code act as.
func System(label string) Viewer { return Viewer{Role: RoleSystem, Label: label} }

// IsSystem reports whether v is an internal process, not a person.
func (v Viewer) IsSystem() bool { return v.Role == RoleSystem }

// IsStaff reports whether v is a company user.
func (v Viewer) IsStaff() bool { return v.Role.Staff() }

// IsPartner reports whether v is a partner user bound to one partner.
func (v Viewer) IsPartner() bool { return v.Role == RolePartner }

// CanEdit reports whether v may change company records.
func (v Viewer) CanEdit() bool { return v.Role == RoleAdmin || v.Role == RoleBuyer || v.IsSystem() }

// IsAdmin reports whether v administers the portal.
func (v Viewer) IsAdmin() bool { return v.Role == RoleAdmin || v.IsSystem() }

type ctxKey struct{}

// NewContext returns ctx carrying v.
func NewContext(ctx context.Context, v Viewer) context.Context {
	return context.WithValue(ctx, ctxKey{}, v)
}

// FromContext returns the viewer in ctx and whether there was one.
func FromContext(ctx context.Context) (Viewer, bool) {
	v, ok := ctx.Value(ctxKey{}).(Viewer)
	return v, ok
}
