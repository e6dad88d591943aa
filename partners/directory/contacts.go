package directory

import (
	"context"
	"strings"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/contact"
	"github.com/tierlink/tierlink/ent/predicate"
	"github.com/tierlink/tierlink/partners"
)

// CreateContact adds a contact to a partner with its first owner.
func (s *Service) CreateContact(ctx context.Context, in ContactInput) (Contact, error) {
	if err := partners.Validate(in); err != nil {
		return Contact{}, err
	}
	var id int
	err := partners.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		ct, err := AddContact(ctx, tx.Client(), in)
		if ct != nil {
			id = ct.ID
		}
		return err
	})
	if err != nil {
		return Contact{}, err
	}
	return s.Contact(ctx, id)
}

// AddContact adds a contact through c, the client of the caller's
// transaction, with its audit entry; in is already validated. Other
// domains that create contacts (the WeCom sync) use it, so there is one
// way a contact comes to be.
func AddContact(ctx context.Context, c *ent.Client, in ContactInput) (*ent.Contact, error) {
	if _, err := c.Partner.Get(ctx, in.PartnerID); err != nil {
		return nil, partners.Ref("partner_id", "no such partner", err)
	}
	if _, err := ActiveStaff(ctx, c, in.OwnerID, "owner_id"); err != nil {
		return nil, err
	}
	ct, err := c.Contact.Create().SetPartnerID(in.PartnerID).SetName(in.Name).
		SetSortKey(partners.SortKey(in.Name)).SetSearchText(contactSearch(in.Name, in.Title, in.Email, in.Phone)).
		SetTitle(in.Title).SetEmail(strings.ToLower(in.Email)).SetPhone(in.Phone).
		SetLanguage(cmpStr(in.Language, "zh-CN")).SetOwnerID(in.OwnerID).Save(ctx)
	if err != nil {
		return nil, err
	}
	return ct, partners.Audit(ctx, c, partners.AuditRecord{Action: "contact.create", EntityType: "contact", EntityID: ct.ID,
		PartnerID: &ct.PartnerID, After: contactAudit(ct)})
}

// UpdateContact changes a contact's details (not its owner).
func (s *Service) UpdateContact(ctx context.Context, id int, in ContactPatch) (Contact, error) {
	if err := partners.Validate(in); err != nil {
		return Contact{}, err
	}
	err := partners.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		c := tx.Client()
		before, err := c.Contact.Get(ctx, id)
		if err != nil {
			return err
		}
		name, title, email, phone := before.Name, before.Title, before.Email, before.Phone
		q := c.Contact.UpdateOne(before)
		if in.Name != nil {
			name = *in.Name
			q.SetName(name).SetSortKey(partners.SortKey(name))
		}
		if in.Title != nil {
			title = *in.Title
			q.SetTitle(title)
		}
		if in.Email != nil {
			email = strings.ToLower(*in.Email)
			q.SetEmail(email)
		}
		if in.Phone != nil {
			phone = *in.Phone
			q.SetPhone(phone)
		}
		if in.Language != nil {
			q.SetLanguage(*in.Language)
		}
		after, err := q.SetSearchText(contactSearch(name, title, email, phone)).Save(ctx)
		if err != nil {
			return err
		}
		return partners.Audit(ctx, c, partners.AuditRecord{Action: "contact.update", EntityType: "contact", EntityID: id,
			PartnerID: &after.PartnerID, Before: contactAudit(before), After: contactAudit(after)})
	})
	if err != nil {
		return Contact{}, err
	}
	return s.Contact(ctx, id)
}

// Contact returns one contact with its partner and owner.
func (s *Service) Contact(ctx context.Context, id int) (Contact, error) {
	ct, err := s.client.Contact.Query().Where(contact.ID(id)).WithPartner().WithOwner().Only(ctx)
	if err != nil {
		return Contact{}, err
	}
	return toContact(ct), nil
}

// ListContacts searches contacts in name order, a page at a time.
func (s *Service) ListContacts(ctx context.Context, f ContactFilter) (ContactPage, error) {
	if err := partners.Validate(f); err != nil {
		return ContactPage{}, err
	}
	var ps []predicate.Contact
	if t := partners.SearchTerm(f.Q); t != "" {
		ps = append(ps, containsText(contact.FieldSearchText, t))
	}
	if f.PartnerID != 0 {
		ps = append(ps, contact.PartnerID(f.PartnerID))
	}
	if f.OwnerID != 0 {
		ps = append(ps, contact.OwnerID(f.OwnerID))
	}
	q := s.client.Contact.Query().Where(ps...)
	if f.Cursor != "" {
		var cur nameCursor
		if err := partners.DecodeCursor(f.Cursor, &cur); err != nil {
			return ContactPage{}, err
		}
		q.Where(contact.Or(contact.SortKeyGT(cur.K), contact.And(contact.SortKey(cur.K), contact.IDGT(cur.I))))
	}
	limit := partners.Limit(f.Limit, 50)
	rows, err := q.Order(ent.Asc(contact.FieldSortKey), ent.Asc(contact.FieldID)).Limit(limit + 1).
		WithPartner().WithOwner().All(ctx)
	if err != nil {
		return ContactPage{}, err
	}
	var page ContactPage
	if len(rows) > limit {
		rows = rows[:limit]
		last := rows[len(rows)-1]
		page.NextCursor = partners.EncodeCursor(nameCursor{K: last.SortKey, I: last.ID})
	}
	page.Items = make([]Contact, 0, len(rows))
	for _, r := range rows {
		page.Items = append(page.Items, toContact(r))
	}
	return page, nil
}

func toContact(ct *ent.Contact) Contact {
	out := Contact{ID: ct.ID, Name: ct.Name, Title: ct.Title, Email: ct.Email, Phone: ct.Phone, Language: ct.Language,
		CreatedAt: ct.CreatedAt, UpdatedAt: ct.UpdatedAt, Partner: PartnerRef{ID: ct.PartnerID}, Owner: UserRef{ID: ct.OwnerID}}
	if p := ct.Edges.Partner; p != nil {
		out.Partner = PartnerRef{ID: p.ID, Code: p.Code, Name: p.Name}
	}
	if u := ct.Edges.Owner; u != nil {
		out.Owner = UserRef{ID: u.ID, Name: u.Name, Email: u.Email, Active: u.Active}
	}
	return out
}

func contactSearch(name, title, email, phone string) string {
	return partners.SearchText(name, title, email, phone)
}

func contactAudit(c *ent.Contact) map[string]any {
	return map[string]any{"partner_id": c.PartnerID, "name": c.Name, "title": c.Title, "email": c.Email,
		"phone": c.Phone, "language": c.Language, "owner_id": c.OwnerID}
}

func cmpStr(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
