package groups

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/contact"
	"github.com/tierlink/tierlink/ent/group"
	"github.com/tierlink/tierlink/ent/groupmember"
	"github.com/tierlink/tierlink/ent/post"
	"github.com/tierlink/tierlink/ent/user"
	"github.com/tierlink/tierlink/ent/viewer"
	"github.com/tierlink/tierlink/partners"
	"github.com/tierlink/tierlink/partners/bridges"
	"github.com/tierlink/tierlink/partners/i18n"
	"github.com/tierlink/tierlink/partners/orders"
	"github.com/tierlink/tierlink/partners/schedule"
	"github.com/tierlink/tierlink/partners/shipments"
)

// DefaultDigestSchedule is when a group's status digest goes out unless
// the company or the group says otherwise: weekdays at 08:30.
const DefaultDigestSchedule = "30 8 * * 1-5"

// Service runs groups, their feeds and bridges.
type Service struct {
	client    *ent.Client
	orders    *orders.Service
	shipments *shipments.Service
	guard     bridges.Guard
	base      *url.URL
	now       func() time.Time
	hub       *Hub
	// digestSpec is the company's default digest schedule, in loc.
	digestSpec string
	loc        *time.Location

	mu        sync.Mutex
	listeners []func(groupID int)
	relay     func(msg string)
}

// New returns the service and installs, on client, the hooks that turn
// domain events into posts and cards (in the transaction of the change
// they describe) and announce committed feed changes. Call it once per
// client.
func New(client *ent.Client, ords *orders.Service, ships *shipments.Service, guard bridges.Guard, base *url.URL) *Service {
	if base == nil {
		base = &url.URL{Scheme: "http", Host: "localhost"}
	}
	s := &Service{client: client, orders: ords, shipments: ships, guard: guard, base: base, now: time.Now,
		digestSpec: DefaultDigestSchedule, loc: time.UTC}
	s.hub = newHub(s.loadAfter, s.head)
	client.DomainEvent.Use(s.projectHook)
	client.Group.Use(s.announceHook)
	return s
}

// Hub is the live fan-out of feed changes to stream subscribers.
func (s *Service) Hub() *Hub { return s.hub }

// OnChange registers fn to be told, after commit, that a group's feed
// changed (the outbox dispatcher wakes on it; across instances, a
// broadcaster relays it).
func (s *Service) OnChange(fn func(groupID int)) {
	s.mu.Lock()
	s.listeners = append(s.listeners, fn)
	s.mu.Unlock()
}

// Changed announces that a group's feed changed; it is called after the
// change committed, locally or (through a broadcaster) on another
// instance.
func (s *Service) Changed(groupID int) {
	s.changed(groupID)
	s.publish("f" + strconv.Itoa(groupID))
}

func (s *Service) changed(groupID int) {
	s.hub.Notify(groupID)
	s.mu.Lock()
	ls := s.listeners
	s.mu.Unlock()
	for _, fn := range ls {
		fn(groupID)
	}
}

func (s *Service) publish(msg string) {
	s.mu.Lock()
	r := s.relay
	s.mu.Unlock()
	if r != nil {
		r(msg)
	}
}

// SetRelay makes the service tell other instances about committed feed
// and membership changes through publish (PostgreSQL NOTIFY); what they
// tell it arrives through Remote.
func (s *Service) SetRelay(publish func(msg string)) {
	s.mu.Lock()
	s.relay = publish
	s.mu.Unlock()
}

// Remote applies a change another instance committed: a feed change
// ("f<group>") reaches this instance's streams and listeners, a
// membership change ("m<group>") makes its partner streams recheck
// access. Anything else is ignored.
func (s *Service) Remote(msg string) {
	if len(msg) < 2 {
		return
	}
	id, err := strconv.Atoi(msg[1:])
	if err != nil || id <= 0 {
		return
	}
	switch msg[0] {
	case 'f':
		s.changed(id)
	case 'm':
		s.hub.Recheck(id)
	}
}

// Resync looks again at every group this instance streams, after the
// relay reconnected and may have missed changes.
func (s *Service) Resync() { s.hub.NotifyAll() }

// SetClock replaces the clock, for tests.
func (s *Service) SetClock(now func() time.Time) { s.now = now }

func system(ctx context.Context) context.Context { return partners.AsSystem(ctx, "groups") }

// Create makes a group with its first members.
func (s *Service) Create(ctx context.Context, in GroupInput) (Group, error) {
	if err := partners.Validate(in); err != nil {
		return Group{}, err
	}
	v, _ := viewer.FromContext(ctx)
	if !v.CanEdit() {
		return Group{}, partners.Errorf(partners.EForbidden, "your role may not create groups")
	}
	switch {
	case in.Kind == group.KindPartner && in.PartnerID == 0:
		return Group{}, partners.Invalid("partner_id", "is required for a partner group")
	case in.Kind == group.KindInternal && len(in.ContactIDs) > 0:
		return Group{}, partners.Invalid("contact_ids", "an internal group is for staff only")
	case group.Kind(in.Kind) == group.KindInternal && in.AllContacts:
		return Group{}, partners.Invalid("all_contacts", "an internal group is for staff only")
	}
	owner := in.OwnerID
	if owner == 0 {
		owner = v.UserID
	}
	var id int
	err := partners.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		c := tx.Client()
		if in.PartnerID != 0 {
			if _, err := c.Partner.Get(ctx, in.PartnerID); err != nil {
				return partners.RefBecause("partner_id", partners.R("partner_not_found", "ID", in.PartnerID), err)
			}
		}
		if err := staffUser(ctx, c, owner, "owner_id"); err != nil {
			return err
		}
		q := c.Group.Create().SetName(in.Name).SetPurpose(in.Purpose).SetKind(in.Kind).SetOwnerID(owner)
		if in.PartnerID != 0 {
			q.SetPartnerID(in.PartnerID)
		}
		if in.Language != "" {
			q.SetLanguage(in.Language)
		}
		g, err := q.Save(ctx)
		if err != nil {
			return err
		}
		id = g.ID
		users := append([]int{owner}, in.UserIDs...)
		seen := map[int]bool{}
		for i, u := range users {
			if seen[u] {
				continue
			}
			seen[u] = true
			if err := s.addMember(ctx, c, g, MemberInput{UserID: u}, fmt.Sprintf("user_ids[%d]", i-1)); err != nil {
				return err
			}
		}
		contacts := in.ContactIDs
		if in.AllContacts {
			all, err := c.Contact.Query().Where(contact.PartnerID(in.PartnerID)).Order(ent.Asc(contact.FieldID)).IDs(ctx)
			if err != nil {
				return err
			}
			for _, ct := range all {
				if !slices.Contains(contacts, ct) {
					contacts = append(contacts, ct)
				}
			}
		}
		for i, ct := range contacts {
			if err := s.addMember(ctx, c, g, MemberInput{ContactID: ct}, fmt.Sprintf("contact_ids[%d]", i)); err != nil {
				return err
			}
		}
		return partners.Audit(ctx, c, partners.AuditRecord{Action: "group.create", EntityType: "group", EntityID: g.ID,
			PartnerID: g.PartnerID, After: map[string]any{"name": g.Name, "kind": string(g.Kind)}})
	})
	if err != nil {
		return Group{}, err
	}
	return s.Group(ctx, id)
}

func staffUser(ctx context.Context, c *ent.Client, id int, field string) error {
	u, err := c.User.Query().Where(user.ID(id)).Only(system(ctx))
	if err != nil {
		return partners.RefBecause(field, partners.R("user_not_found", "ID", id), err)
	}
	if u.PartnerID != nil {
		return partners.Invalid(field, "must be a staff user; partner users join through their contact")
	}
	if !u.Active {
		return partners.InvalidBecause(field, partners.R("user_deactivated", "ID", id))
	}
	return nil
}

// addMember adds one member through c; field names the input for errors.
func (s *Service) addMember(ctx context.Context, c *ent.Client, g *ent.Group, in MemberInput, field string) error {
	v, _ := viewer.FromContext(ctx)
	q := c.GroupMember.Create().SetGroupID(g.ID).SetAddedBy(v.Label)
	if in.UserID != 0 {
		if field == "" {
			field = "user_id"
		}
		if err := staffUser(ctx, c, in.UserID, field); err != nil {
			return err
		}
		if ok, err := c.GroupMember.Query().Where(groupmember.GroupID(g.ID), groupmember.UserID(in.UserID)).Exist(ctx); err != nil {
			return err
		} else if ok {
			return partners.Fail(partners.EConflict, i18n.M("problem.user_already_member").With("ID", in.UserID))
		}
		q.SetUserID(in.UserID)
	} else {
		if field == "" {
			field = "contact_id"
		}
		if g.Kind == group.KindInternal {
			return partners.Invalid(field, "an internal group is for staff only")
		}
		ct, err := c.Contact.Query().Where(contact.ID(in.ContactID)).Only(ctx)
		if err != nil {
			return partners.RefBecause(field, partners.R("contact_not_found", "ID", in.ContactID), err)
		}
		if ok, err := c.GroupMember.Query().Where(groupmember.GroupID(g.ID), groupmember.ContactID(in.ContactID)).Exist(ctx); err != nil {
			return err
		} else if ok {
			return partners.Fail(partners.EConflict, i18n.M("problem.contact_already_member").With("ID", in.ContactID))
		}
		q.SetContactID(ct.ID).SetPartnerID(ct.PartnerID)
	}
	return q.Exec(ctx)
}

// Group returns one group.
func (s *Service) Group(ctx context.Context, id int) (Group, error) {
	g, err := s.client.Group.Get(ctx, id)
	if err != nil {
		return Group{}, err
	}
	return s.toGroup(ctx, g)
}

// Exists reports a visible group, for 404s before a body is judged.
func (s *Service) Exists(ctx context.Context, id int) (bool, error) {
	if _, err := s.client.Group.Get(ctx, id); err != nil {
		return false, err
	}
	return true, nil
}

func (s *Service) toGroup(ctx context.Context, g *ent.Group) (Group, error) {
	sys := system(ctx)
	n, err := s.client.GroupMember.Query().Where(groupmember.GroupID(g.ID)).Count(sys)
	if err != nil {
		return Group{}, err
	}
	receives, err := receivesStatus(sys, s.client, g)
	if err != nil {
		return Group{}, err
	}
	out := Group{ID: g.ID, Name: g.Name, Purpose: g.Purpose, Kind: g.Kind, PartnerID: g.PartnerID, OwnerID: g.OwnerID,
		Language: g.Language, Archived: g.Archived, LastSeq: g.LastSeq, Members: n, ReceivesStatus: receives, CreatedAt: g.CreatedAt,
		Digest: Digest{Enabled: g.DigestEnabled, Schedule: g.DigestSpec, DefaultSchedule: s.digestSpec, Quiet: g.DigestQuiet, LastTick: g.DigestLastTick}}
	if sched, err := s.DigestSchedule(g); err == nil && g.DigestEnabled && receives {
		if n := sched.Next(s.now()); !n.IsZero() {
			n = n.In(s.loc)
			out.Digest.Next = &n
		}
	}
	return out, nil
}

// DigestSchedule is the schedule of a group's status digest.
func (s *Service) DigestSchedule(g *ent.Group) (cron.Schedule, error) {
	spec := g.DigestSpec
	if spec == "" {
		spec = s.digestSpec
	}
	return schedule.Parse(spec, s.loc)
}

// SetDigestDefault sets the company's default digest schedule and the
// time zone schedules without their own run in.
func (s *Service) SetDigestDefault(spec string, loc *time.Location) error {
	if _, err := schedule.Parse(spec, loc); err != nil {
		return fmt.Errorf("default digest schedule %q: %w", spec, err)
	}
	s.digestSpec, s.loc = spec, loc
	return nil
}

// StatusGroups are the groups that may receive automatic status about a
// partner (see the privacy rule of statusGroups), read through c.
func (s *Service) StatusGroups(ctx context.Context, c *ent.Client, partnerID int) ([]*ent.Group, error) {
	return statusGroups(system(ctx), c, partnerID)
}

// Announce posts a into group g through c, the caller's transaction, and
// sends it out through the group's bridges.
func (s *Service) Announce(ctx context.Context, c *ent.Client, g *ent.Group, a Announcement) (*ent.Post, error) {
	p := newPost{kind: post.KindSystem, message: a.Message, mentions: a.Mentions, eventKind: a.Kind,
		subjectType: a.SubjectType, subjectID: a.SubjectID, awaitsReply: a.AwaitsReply}
	if a.PartnerID != 0 {
		p.partnerID = &a.PartnerID
	}
	if a.CardKind != "" {
		p.kind, p.cardKind = post.KindCard, a.CardKind
	}
	return s.appendPost(ctx, c, g, p)
}

// receivesStatus is the privacy rule for automatic status: a group
// follows its partner only while every external member belongs to it.
func receivesStatus(ctx context.Context, c *ent.Client, g *ent.Group) (bool, error) {
	if g.PartnerID == nil || g.Archived {
		return false, nil
	}
	foreign, err := c.GroupMember.Query().Where(groupmember.GroupID(g.ID), groupmember.PartnerIDNEQ(*g.PartnerID)).Exist(ctx)
	return !foreign, err
}

// List lists the groups the viewer may see, newest first.
func (s *Service) List(ctx context.Context, f Filter) (Page, error) {
	if err := partners.Validate(f); err != nil {
		return Page{}, err
	}
	q := s.client.Group.Query().Where(group.Archived(f.Archived))
	if f.PartnerID != 0 {
		q.Where(group.PartnerID(f.PartnerID))
	}
	if f.Kind != "" {
		q.Where(group.KindEQ(f.Kind))
	}
	before, err := partners.BeforeID(f.Cursor)
	if err != nil {
		return Page{}, err
	}
	if before != 0 {
		q.Where(group.IDLT(before))
	}
	limit := partners.Limit(f.Limit, 50)
	rows, err := q.Order(ent.Desc(group.FieldID)).Limit(limit + 1).All(ctx)
	if err != nil {
		return Page{}, err
	}
	var p Page
	rows, p.NextCursor = partners.Trim(rows, limit, func(g *ent.Group) int { return g.ID })
	p.Items = make([]Group, 0, len(rows))
	var partnerIDs []int
	for _, g := range rows {
		out, err := s.toGroup(ctx, g)
		if err != nil {
			return Page{}, err
		}
		p.Items = append(p.Items, out)
		if g.PartnerID != nil {
			partnerIDs = append(partnerIDs, *g.PartnerID)
		}
	}
	names, err := partners.PartnerNames(ctx, s.client, partnerIDs)
	if err != nil {
		return Page{}, err
	}
	for i, g := range p.Items {
		if g.PartnerID != nil {
			p.Items[i].PartnerName = names[*g.PartnerID]
		}
	}
	return p, nil
}

// Update changes a group's name, purpose, owner, language or archive
// state.
func (s *Service) Update(ctx context.Context, id int, p GroupPatch) (Group, error) {
	if err := partners.Validate(p); err != nil {
		return Group{}, err
	}
	err := partners.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		c := tx.Client()
		g, err := c.Group.Get(ctx, id)
		if err != nil {
			return err
		}
		u := c.Group.UpdateOne(g)
		if p.Name != nil {
			u.SetName(*p.Name)
		}
		if p.Purpose != nil {
			u.SetPurpose(*p.Purpose)
		}
		if p.Language != nil {
			u.SetLanguage(*p.Language)
		}
		if p.Archived != nil {
			u.SetArchived(*p.Archived)
		}
		if p.DigestEnabled != nil {
			u.SetDigestEnabled(*p.DigestEnabled)
		}
		if p.DigestQuiet != nil {
			u.SetDigestQuiet(*p.DigestQuiet)
		}
		if p.DigestSchedule != nil {
			spec := strings.TrimSpace(*p.DigestSchedule)
			if spec != "" {
				if _, err := schedule.Parse(spec, s.loc); err != nil {
					slog.InfoContext(ctx, "digest schedule refused", "spec", spec, "err", err)
					return partners.InvalidBecause("digest_schedule", partners.R("schedule_unreadable", "Example", DefaultDigestSchedule))
				}
			}
			u.SetDigestSpec(spec)
		}
		if p.OwnerID != nil {
			if err := staffUser(ctx, c, *p.OwnerID, "owner_id"); err != nil {
				return err
			}
			u.SetOwnerID(*p.OwnerID)
		}
		if err := u.Exec(ctx); err != nil {
			return err
		}
		return partners.Audit(ctx, c, partners.AuditRecord{Action: "group.update", EntityType: "group", EntityID: id, PartnerID: g.PartnerID,
			Before: map[string]any{"name": g.Name, "owner_id": g.OwnerID, "archived": g.Archived,
				"digest_enabled": g.DigestEnabled, "digest_schedule": g.DigestSpec, "digest_quiet": g.DigestQuiet}})
	})
	if err != nil {
		return Group{}, err
	}
	return s.Group(ctx, id)
}

// Members lists all of a group's members in the order they were added;
// ListMembers pages them.
func (s *Service) Members(ctx context.Context, groupID int) (MemberList, error) {
	items, err := s.members(ctx, groupID, 0, 0)
	return MemberList{Items: items}, err
}

// ListMembers pages through a group's members in the order they were
// added. The cursor is the last member shown (partners.Trim's id
// cursor); the next page goes on after it.
func (s *Service) ListMembers(ctx context.Context, groupID int, f MemberFilter) (MemberPage, error) {
	if err := partners.Validate(f); err != nil {
		return MemberPage{}, err
	}
	after, err := partners.BeforeID(f.Cursor)
	if err != nil {
		return MemberPage{}, err
	}
	limit := partners.Limit(f.Limit, 50)
	items, err := s.members(ctx, groupID, after, limit+1)
	if err != nil {
		return MemberPage{}, err
	}
	var p MemberPage
	p.Items, p.NextCursor = partners.Trim(items, limit, func(m Member) int { return m.ID })
	return p, nil
}

// members reads up to limit (0: all) members of a visible group, after
// the member id after, in the order they were added.
func (s *Service) members(ctx context.Context, groupID, after, limit int) ([]Member, error) {
	if _, err := s.client.Group.Get(ctx, groupID); err != nil {
		return nil, err
	}
	q := s.client.GroupMember.Query().Where(groupmember.GroupID(groupID))
	if after != 0 {
		q.Where(groupmember.IDGT(after))
	}
	if limit > 0 {
		q.Limit(limit)
	}
	rows, err := q.Order(ent.Asc(groupmember.FieldID)).All(ctx)
	if err != nil {
		return nil, err
	}
	sys := system(ctx)
	var uids, cids []int
	for _, m := range rows {
		if m.UserID != nil {
			uids = append(uids, *m.UserID)
		} else if m.ContactID != nil {
			cids = append(cids, *m.ContactID)
		}
	}
	names := map[string]string{}
	us, err := s.client.User.Query().Where(user.IDIn(uids...)).All(sys)
	if err != nil {
		return nil, err
	}
	for _, u := range us {
		names[fmt.Sprint("u", u.ID)] = u.Name
	}
	cs, err := s.client.Contact.Query().Where(contact.IDIn(cids...)).All(sys)
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		names[fmt.Sprint("c", c.ID)] = c.Name
	}
	out := make([]Member, 0, len(rows))
	for _, m := range rows {
		mm := Member{ID: m.ID, GroupID: m.GroupID, UserID: m.UserID, ContactID: m.ContactID, PartnerID: m.PartnerID, AddedAt: m.CreatedAt, Side: "staff"}
		if m.UserID != nil {
			mm.Name = names[fmt.Sprint("u", *m.UserID)]
		} else if m.ContactID != nil {
			mm.Name, mm.Side = names[fmt.Sprint("c", *m.ContactID)], "partner"
		}
		out = append(out, mm)
	}
	return out, nil
}

// AddMember adds a staff user or a contact to a group.
func (s *Service) AddMember(ctx context.Context, groupID int, in MemberInput) (Member, error) {
	if err := partners.Validate(in); err != nil {
		return Member{}, err
	}
	if v, _ := viewer.FromContext(ctx); !v.CanEdit() {
		return Member{}, partners.Errorf(partners.EForbidden, "your role may not change group members")
	}
	err := partners.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		c := tx.Client()
		g, err := c.Group.Get(ctx, groupID)
		if err != nil {
			return err
		}
		if err := s.addMember(ctx, c, g, in, ""); err != nil {
			return err
		}
		return partners.Audit(ctx, c, partners.AuditRecord{Action: "group.member.add", EntityType: "group", EntityID: g.ID, PartnerID: g.PartnerID,
			After: map[string]any{"user_id": in.UserID, "contact_id": in.ContactID}})
	})
	if err != nil {
		return Member{}, err
	}
	ms, err := s.Members(ctx, groupID)
	if err != nil {
		return Member{}, err
	}
	for _, m := range ms.Items {
		if (in.UserID != 0 && m.UserID != nil && *m.UserID == in.UserID) || (in.ContactID != 0 && m.ContactID != nil && *m.ContactID == in.ContactID) {
			return m, nil
		}
	}
	return Member{}, partners.Errorf(partners.EInternal, "member vanished")
}

// RemoveMember removes a member; a partner user who was streaming the
// feed through that contact is cut off at once.
func (s *Service) RemoveMember(ctx context.Context, groupID, memberID int) error {
	if v, _ := viewer.FromContext(ctx); !v.CanEdit() {
		return partners.Errorf(partners.EForbidden, "your role may not change group members")
	}
	err := partners.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		c := tx.Client()
		g, err := c.Group.Get(ctx, groupID)
		if err != nil {
			return err
		}
		m, err := c.GroupMember.Query().Where(groupmember.ID(memberID), groupmember.GroupID(groupID)).Only(ctx)
		if err != nil {
			return err
		}
		if m.UserID != nil && *m.UserID == g.OwnerID {
			return partners.Fail(partners.EConflict, i18n.M("problem.owner_cannot_leave"))
		}
		if err := c.GroupMember.DeleteOne(m).Exec(ctx); err != nil {
			return err
		}
		return partners.Audit(ctx, c, partners.AuditRecord{Action: "group.member.remove", EntityType: "group", EntityID: g.ID, PartnerID: g.PartnerID,
			Before: map[string]any{"user_id": m.UserID, "contact_id": m.ContactID}})
	})
	if err != nil {
		return err
	}
	s.hub.Recheck(groupID)
	s.publish("m" + strconv.Itoa(groupID))
	return nil
}
