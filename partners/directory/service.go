package directory

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"slices"
	"strings"
	"time"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"
	"entgo.io/ent/dialect/sql/sqljson"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/contact"
	"github.com/tierlink/tierlink/ent/partner"
	"github.com/tierlink/tierlink/ent/predicate"
	"github.com/tierlink/tierlink/ent/user"
	"github.com/tierlink/tierlink/partners"
)

// Service is the directory's domain service.
type Service struct {
	client *ent.Client
	now    func() time.Time
	// handedOver, when set, runs in the transaction of every hand-over
	// that moved contacts (see OnHandedOver).
	handedOver HandedOverFunc
}

// New returns a directory service over client.
func New(client *ent.Client) *Service {
	return &Service{client: client, now: time.Now}
}

// SetClock replaces the clock, for tests of scheduled transfers.
func (s *Service) SetClock(now func() time.Time) { s.now = now }

type nameCursor struct {
	K string `json:"k"`
	I int    `json:"i"`
}

// CreatePartner adds a partner to the directory.
func (s *Service) CreatePartner(ctx context.Context, in PartnerInput) (Partner, error) {
	if err := partners.Validate(in); err != nil {
		return Partner{}, err
	}
	if in.Tier != nil && in.Kind != partner.KindSupplier {
		return Partner{}, partners.Invalid("tier", "applies only to suppliers")
	}
	var id int
	err := partners.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		c := tx.Client()
		if n, err := c.Partner.Query().Where(partner.Code(in.Code)).Count(ctx); err != nil {
			return err
		} else if n > 0 {
			return &partners.Error{Code: partners.EConflict, Message: "a partner with this code exists",
				Fields: []partners.FieldError{{Field: "code", Reason: "is already used by another partner"}}}
		}
		q := c.Partner.Create().SetCode(in.Code).SetName(in.Name).SetKind(in.Kind).
			SetSortKey(partners.SortKey(in.Name)).SetSearchText(partners.SearchText(in.Name, in.Code)).
			SetNillableTier(in.Tier).SetTags(nonNil(in.Tags)).SetCategories(nonNil(in.Categories)).SetAddress(in.Address)
		if in.Status != "" {
			q.SetStatus(in.Status)
		}
		if in.TimeZone != "" {
			q.SetTimeZone(in.TimeZone)
		}
		if in.AckSLAHours != 0 {
			q.SetAckSLAHours(in.AckSLAHours)
		}
		q.SetOverDeliveryPct(in.OverDeliveryPct).SetBlockOnLapsedCertificate(in.BlockOnLapsedCertificate).SetMailContacts(in.MailContacts)
		p, err := q.Save(ctx)
		if err != nil {
			return err
		}
		id = p.ID
		return partners.Audit(ctx, c, partners.AuditRecord{Action: "partner.create", EntityType: "partner", EntityID: p.ID,
			PartnerID: &p.ID, After: partnerAudit(p)})
	})
	if err != nil {
		return Partner{}, err
	}
	return s.Partner(ctx, id)
}

// UpdatePartner changes a partner's fields.
func (s *Service) UpdatePartner(ctx context.Context, id int, in PartnerPatch) (Partner, error) {
	if err := partners.Validate(in); err != nil {
		return Partner{}, err
	}
	err := partners.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		c := tx.Client()
		before, err := c.Partner.Get(ctx, id)
		if err != nil {
			return err
		}
		kind := before.Kind
		if in.Kind != nil {
			kind = *in.Kind
		}
		q := c.Partner.UpdateOne(before)
		if in.Tier != nil {
			if *in.Tier == 0 {
				q.ClearTier()
			} else if kind != partner.KindSupplier {
				return partners.Invalid("tier", "applies only to suppliers")
			} else {
				q.SetTier(*in.Tier)
			}
		} else if kind != partner.KindSupplier && before.Tier != nil {
			q.ClearTier()
		}
		if in.Name != nil {
			q.SetName(*in.Name).SetSortKey(partners.SortKey(*in.Name)).SetSearchText(partners.SearchText(*in.Name, before.Code))
		}
		if in.Kind != nil {
			q.SetKind(*in.Kind)
		}
		if in.Tags != nil {
			q.SetTags(nonNil(*in.Tags))
		}
		if in.Categories != nil {
			q.SetCategories(nonNil(*in.Categories))
		}
		if in.Status != nil {
			q.SetStatus(*in.Status)
		}
		if in.Address != nil {
			q.SetAddress(*in.Address)
		}
		if in.TimeZone != nil {
			q.SetTimeZone(*in.TimeZone)
		}
		if in.AckSLAHours != nil {
			q.SetAckSLAHours(*in.AckSLAHours)
		}
		if in.OverDeliveryPct != nil {
			q.SetOverDeliveryPct(*in.OverDeliveryPct)
		}
		if in.BlockOnLapsedCertificate != nil {
			q.SetBlockOnLapsedCertificate(*in.BlockOnLapsedCertificate)
		}
		if in.MailContacts != nil {
			q.SetMailContacts(*in.MailContacts)
		}
		after, err := q.Save(ctx)
		if err != nil {
			return err
		}
		return partners.Audit(ctx, c, partners.AuditRecord{Action: "partner.update", EntityType: "partner", EntityID: id,
			PartnerID: &id, Before: partnerAudit(before), After: partnerAudit(after)})
	})
	if err != nil {
		return Partner{}, err
	}
	return s.Partner(ctx, id)
}

// Partner returns one partner with its contact count and owners.
func (s *Service) Partner(ctx context.Context, id int) (Partner, error) {
	p, err := s.client.Partner.Get(ctx, id)
	if err != nil {
		return Partner{}, err
	}
	out, err := s.partnersOut(ctx, []*ent.Partner{p})
	if err != nil {
		return Partner{}, err
	}
	return out[0], nil
}

// PartnerByCode returns the partner with a code.
func (s *Service) PartnerByCode(ctx context.Context, code string) (Partner, error) {
	p, err := s.client.Partner.Query().Where(partner.Code(code)).Only(ctx)
	if err != nil {
		return Partner{}, err
	}
	out, err := s.partnersOut(ctx, []*ent.Partner{p})
	if err != nil {
		return Partner{}, err
	}
	return out[0], nil
}

// ListPartners searches the directory in name order (pinyin for Chinese
// names), a page at a time; the (sort key, id) cursor keeps paging stable
// while rows are added.
func (s *Service) ListPartners(ctx context.Context, f PartnerFilter) (PartnerPage, error) {
	if err := partners.Validate(f); err != nil {
		return PartnerPage{}, err
	}
	q := s.client.Partner.Query().Where(partnerPredicates(f)...)
	if f.Cursor != "" {
		var cur nameCursor
		if err := partners.DecodeCursor(f.Cursor, &cur); err != nil {
			return PartnerPage{}, err
		}
		q.Where(partner.Or(partner.SortKeyGT(cur.K), partner.And(partner.SortKey(cur.K), partner.IDGT(cur.I))))
	}
	limit := partners.Limit(f.Limit, 50)
	rows, err := q.Order(ent.Asc(partner.FieldSortKey), ent.Asc(partner.FieldID)).Limit(limit + 1).All(ctx)
	if err != nil {
		return PartnerPage{}, err
	}
	var page PartnerPage
	if len(rows) > limit {
		rows = rows[:limit]
		last := rows[len(rows)-1]
		page.NextCursor = partners.EncodeCursor(nameCursor{K: last.SortKey, I: last.ID})
	}
	page.Items, err = s.partnersOut(ctx, rows)
	return page, err
}

func partnerPredicates(f PartnerFilter) []predicate.Partner {
	var ps []predicate.Partner
	if t := partners.SearchTerm(f.Q); t != "" {
		ps = append(ps, containsText(partner.FieldSearchText, t))
	}
	if f.Kind != "" {
		ps = append(ps, partner.KindEQ(f.Kind))
	}
	if f.Tier != 0 {
		ps = append(ps, partner.Tier(f.Tier))
	}
	if f.Status != "" {
		ps = append(ps, partner.StatusEQ(f.Status))
	}
	if f.Tag != "" {
		tag := f.Tag
		ps = append(ps, func(s *sql.Selector) { s.Where(sqljson.ValueContains(partner.FieldTags, tag)) })
	}
	if f.Category != "" {
		cat := f.Category
		ps = append(ps, func(s *sql.Selector) { s.Where(sqljson.ValueContains(partner.FieldCategories, cat)) })
	}
	if f.OwnerID != 0 {
		ps = append(ps, partner.HasContactsWith(contact.OwnerID(f.OwnerID)))
	}
	return ps
}

// partnersOut maps rows to output with two grouped queries, not one per row.
func (s *Service) partnersOut(ctx context.Context, rows []*ent.Partner) ([]Partner, error) {
	out := make([]Partner, 0, len(rows))
	if len(rows) == 0 {
		return out, nil
	}
	ids := make([]int, len(rows))
	for i, p := range rows {
		ids[i] = p.ID
	}
	var groups []struct {
		PartnerID int `json:"partner_id"`
		OwnerID   int `json:"owner_id"`
		Count     int `json:"count"`
	}
	if err := s.client.Contact.Query().Where(contact.PartnerIDIn(ids...)).
		GroupBy(contact.FieldPartnerID, contact.FieldOwnerID).Aggregate(ent.Count()).Scan(ctx, &groups); err != nil {
		return nil, err
	}
	var ownerIDs []int
	for _, g := range groups {
		ownerIDs = append(ownerIDs, g.OwnerID)
	}
	users, err := s.userRefs(ctx, ownerIDs)
	if err != nil {
		return nil, err
	}
	counts := map[int]int{}
	owners := map[int][]UserRef{}
	for _, g := range groups {
		counts[g.PartnerID] += g.Count
		owners[g.PartnerID] = append(owners[g.PartnerID], users[g.OwnerID])
	}
	for _, p := range rows {
		os := owners[p.ID]
		slices.SortFunc(os, func(a, b UserRef) int { return strings.Compare(a.Name, b.Name) })
		if os == nil {
			os = []UserRef{}
		}
		out = append(out, Partner{ID: p.ID, Code: p.Code, Name: p.Name, Kind: p.Kind, Tier: p.Tier,
			Tags: nonNil(p.Tags), Categories: nonNil(p.Categories), Status: p.Status, Address: p.Address,
			TimeZone: p.TimeZone, AckSLAHours: p.AckSLAHours, OverDeliveryPct: p.OverDeliveryPct,
			BlockOnLapsedCertificate: p.BlockOnLapsedCertificate, MailContacts: p.MailContacts, ContactCount: counts[p.ID], Owners: os,
			CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt})
	}
	return out, nil
}

func (s *Service) userRefs(ctx context.Context, ids []int) (map[int]UserRef, error) {
	m := map[int]UserRef{}
	if len(ids) == 0 {
		return m, nil
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	us, err := s.client.User.Query().Where(user.IDIn(ids...)).All(ctx)
	if err != nil {
		return nil, err
	}
	for _, u := range us {
		m[u.ID] = UserRef{ID: u.ID, Name: u.Name, Email: u.Email, Active: u.Active}
	}
	return m, nil
}

// ActiveStaff returns the user with id if it is an active staff member,
// the only kind of user that may own contacts or groups; a partner user
// or a deactivated one gets the invalid-input error on field that an id
// naming nobody gets.
func ActiveStaff(ctx context.Context, c *ent.Client, id int, field string) (*ent.User, error) {
	u, err := c.User.Query().Where(user.ID(id), user.Active(true), user.RoleIn(user.RoleAdmin, user.RoleBuyer, user.RoleViewer)).Only(ctx)
	if err != nil {
		return nil, partners.Ref(field, "must be an active staff user", err)
	}
	return u, nil
}

func partnerAudit(p *ent.Partner) map[string]any {
	return map[string]any{"code": p.Code, "name": p.Name, "kind": p.Kind, "tier": p.Tier, "tags": p.Tags,
		"categories": p.Categories, "status": p.Status, "address": p.Address, "time_zone": p.TimeZone, "ack_sla_hours": p.AckSLAHours,
		"over_delivery_pct": p.OverDeliveryPct, "block_on_lapsed_certificate": p.BlockOnLapsedCertificate,
		"mail_contacts": p.MailContacts}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func newBatch() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// containsText matches rows whose (already lowercased) column contains t.
// On SQLite, instr() avoids LIKE's per-character case folding, which is
// several times slower on a full scan.
func containsText(col, t string) func(*sql.Selector) {
	return func(s *sql.Selector) {
		if s.Dialect() == dialect.SQLite {
			s.Where(sql.ExprP("instr("+s.C(col)+", ?) > 0", t))
			return
		}
		s.Where(sql.Contains(s.C(col), t))
	}
}
