package partners

import (
	"context"
	"time"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/auditentry"
	"github.com/tierlink/tierlink/ent/viewer"
)

// AuditRecord describes one change for the audit trail.
type AuditRecord struct {
	Action     string
	EntityType string
	EntityID   int
	PartnerID  *int
	Before     map[string]any
	After      map[string]any
}

// Audit appends r to the trail through c, which should be the client of
// the transaction that makes the change, so both commit or neither does.
func Audit(ctx context.Context, c *ent.Client, r AuditRecord) error {
	v, _ := viewer.FromContext(ctx)
	q := c.AuditEntry.Create().
		SetAction(r.Action).SetEntityType(r.EntityType).SetEntityID(r.EntityID).
		SetNillablePartnerID(r.PartnerID).SetActor(v.Label).SetRequestID(v.RequestID)
	if v.UserID != 0 {
		q.SetActorID(v.UserID)
	}
	if r.Before != nil {
		q.SetBefore(r.Before)
	}
	if r.After != nil {
		q.SetAfter(r.After)
	}
	return q.Exec(ctx)
}

// AuditOut is an audit entry as shown to staff.
type AuditOut struct {
	ID         int            `json:"id"`
	At         time.Time      `json:"at"`
	Actor      string         `json:"actor"`
	ActorID    *int           `json:"actor_id"`
	Action     string         `json:"action"`
	EntityType string         `json:"entity_type"`
	EntityID   int            `json:"entity_id"`
	PartnerID  *int           `json:"partner_id"`
	Before     map[string]any `json:"before,omitempty"`
	After      map[string]any `json:"after,omitempty"`
	RequestID  string         `json:"request_id,omitempty"`
}

// AuditFilter narrows an audit listing.
type AuditFilter struct {
	PartnerID  int    `query:"partner_id" validate:"omitempty,min=1"`
	EntityType string `query:"entity_type" validate:"omitempty,oneof=partner contact user token invitation transfer document order group bridge job"`
	EntityID   int    `query:"entity_id" validate:"omitempty,min=1"`
	Cursor     string `query:"cursor" validate:"omitempty,max=200"`
	Limit      int    `query:"limit" validate:"omitempty,min=1,max=200"`
}

// AuditPage is one page of audit entries, newest first.
type AuditPage struct {
	Items      []AuditOut `json:"items"`
	NextCursor string     `json:"next_cursor,omitempty"`
}

// ListAudit returns audit entries newest first; privacy keeps partner
// users out.
func ListAudit(ctx context.Context, c *ent.Client, f AuditFilter) (AuditPage, error) {
	q := c.AuditEntry.Query()
	if f.PartnerID != 0 {
		q.Where(auditentry.PartnerID(f.PartnerID))
	}
	if f.EntityType != "" {
		q.Where(auditentry.EntityType(f.EntityType))
	}
	if f.EntityID != 0 {
		q.Where(auditentry.EntityID(f.EntityID))
	}
	before, err := BeforeID(f.Cursor)
	if err != nil {
		return AuditPage{}, err
	}
	if before != 0 {
		q.Where(auditentry.IDLT(before))
	}
	limit := Limit(f.Limit, 50)
	rows, err := q.Order(ent.Desc(auditentry.FieldID)).Limit(limit + 1).All(ctx)
	if err != nil {
		return AuditPage{}, err
	}
	var p AuditPage
	rows, p.NextCursor = Trim(rows, limit, func(r *ent.AuditEntry) int { return r.ID })
	p.Items = make([]AuditOut, 0, len(rows))
	for _, r := range rows {
		p.Items = append(p.Items, AuditOut{ID: r.ID, At: r.CreatedAt, Actor: r.Actor, ActorID: r.ActorID, Action: r.Action,
			EntityType: r.EntityType, EntityID: r.EntityID, PartnerID: r.PartnerID, Before: r.Before, After: r.After, RequestID: r.RequestID})
	}
	return p, nil
}
