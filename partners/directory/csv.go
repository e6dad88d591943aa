package directory

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/contact"
	"github.com/tierlink/tierlink/ent/contacttransfer"
	"github.com/tierlink/tierlink/ent/partner"
	"github.com/tierlink/tierlink/ent/user"
	"github.com/tierlink/tierlink/partners"
	"github.com/tierlink/tierlink/partners/csvfile"
)

// PartnerColumns are the columns of a partner CSV, in export order. Lists
// (tags, categories) are separated by ';'.
var PartnerColumns = []string{"code", "name", "kind", "tier", "status", "tags", "categories", "address", "time_zone", "ack_sla_hours"}

// ContactColumns are the columns of a contact CSV, in export order.
// id is the contact's identity in this directory: an exported contact
// imported back is updated in place, with or without an e-mail.
var ContactColumns = []string{"id", "partner_code", "name", "title", "email", "phone", "language", "owner_email"}

// ImportResult says what an import stored, and the encoding the file was
// read in.
type ImportResult struct {
	Created   int `json:"created"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
	// Encoding is utf-8 or gb18030; EncodingHow says how it was decided
	// (byte-order mark, named, detected, ASCII only).
	Encoding    csvfile.Encoding `json:"encoding"`
	EncodingHow string           `json:"encoding_how"`
}

// Progress is told how many rows of total are stored so far.
type Progress func(done, total int)

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ";") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// ImportPartners creates or updates (by code) every partner in a CSV, or
// none: the whole file is checked first and stored in one transaction.
// A partner the file leaves as it is is not written (so an export
// imported back changes nothing). r may name its encoding with
// csvfile.Named; otherwise it is detected.
func (s *Service) ImportPartners(ctx context.Context, r io.Reader, progress Progress) (ImportResult, error) {
	t, err := csvfile.Read(r, PartnerColumns, []string{"code", "name", "kind"})
	if err != nil {
		return ImportResult{}, err
	}
	var errs []csvfile.RowError
	inputs := make([]PartnerInput, len(t.Rows))
	codes := map[string]int{}
	for i, row := range t.Rows {
		line := t.Lines[i]
		in := PartnerInput{Code: t.Get(row, "code"), Name: t.Get(row, "name"), Kind: partner.Kind(t.Get(row, "kind")),
			Status: partner.Status(t.Get(row, "status")), Tags: splitList(t.Get(row, "tags")), Categories: splitList(t.Get(row, "categories")),
			Address: t.Get(row, "address"), TimeZone: t.Get(row, "time_zone")}
		if v := t.Get(row, "tier"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				errs = append(errs, csvfile.RowError{Line: line, Column: "tier", Reason: "must be 1, 2 or 3"})
			} else {
				in.Tier = &n
			}
		}
		if v := t.Get(row, "ack_sla_hours"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				errs = append(errs, csvfile.RowError{Line: line, Column: "ack_sla_hours", Reason: "must be a whole number of hours"})
			} else {
				in.AckSLAHours = n
			}
		}
		if err := partners.Validate(in); err != nil {
			errs = append(errs, csvfile.RowErrors(line, err)...)
		}
		if in.Tier != nil && in.Kind != partner.KindSupplier {
			errs = append(errs, csvfile.RowError{Line: line, Column: "tier", Reason: "applies only to suppliers"})
		}
		if prev, dup := codes[strings.ToLower(in.Code)]; dup && in.Code != "" {
			errs = append(errs, csvfile.RowError{Line: line, Column: "code", Reason: fmt.Sprintf("repeats the code of line %d", prev)})
		}
		codes[strings.ToLower(in.Code)] = line
		inputs[i] = in
		if len(errs) >= csvfile.MaxErrors {
			break
		}
	}
	if len(errs) > 0 {
		return ImportResult{}, csvfile.Refused(errs)
	}
	res := ImportResult{Encoding: t.Encoding, EncodingHow: t.How}
	err = partners.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		c := tx.Client()
		existing := map[string]*ent.Partner{}
		for chunk := range slices.Chunk(inputs, 1000) {
			cs := make([]string, len(chunk))
			for i, in := range chunk {
				cs[i] = in.Code
			}
			ps, err := c.Partner.Query().Where(partner.CodeIn(cs...)).All(ctx)
			if err != nil {
				return err
			}
			for _, p := range ps {
				existing[p.Code] = p
			}
		}
		var creates []*ent.PartnerCreate
		flush := func() error {
			if len(creates) == 0 {
				return nil
			}
			if err := c.Partner.CreateBulk(creates...).Exec(ctx); err != nil {
				return err
			}
			res.Created += len(creates)
			creates = creates[:0]
			return nil
		}
		for i, in := range inputs {
			if p, ok := existing[in.Code]; ok && partnerUnchanged(p, in, t.Has("status")) {
				res.Unchanged++
			} else if ok {
				u := c.Partner.UpdateOne(p).SetName(in.Name).SetSortKey(partners.SortKey(in.Name)).
					SetSearchText(partners.SearchText(in.Name, in.Code)).SetKind(in.Kind).
					SetTags(nonNil(in.Tags)).SetCategories(nonNil(in.Categories)).SetAddress(in.Address)
				if in.Tier != nil {
					u.SetTier(*in.Tier)
				} else {
					u.ClearTier()
				}
				if t.Has("status") && in.Status != "" {
					u.SetStatus(in.Status)
				}
				if in.TimeZone != "" {
					u.SetTimeZone(in.TimeZone)
				}
				if in.AckSLAHours != 0 {
					u.SetAckSLAHours(in.AckSLAHours)
				}
				if err := u.Exec(ctx); err != nil {
					return fmt.Errorf("line %d: %w", t.Lines[i], err)
				}
				res.Updated++
			} else {
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
				creates = append(creates, q)
				if len(creates) == 500 {
					if err := flush(); err != nil {
						return err
					}
				}
			}
			if progress != nil && (i+1)%1000 == 0 {
				progress(i+1, len(inputs))
			}
		}
		if err := flush(); err != nil {
			return err
		}
		if progress != nil {
			progress(len(inputs), len(inputs))
		}
		return partners.Audit(ctx, c, partners.AuditRecord{Action: "partner.import", EntityType: "partner",
			After: map[string]any{"created": res.Created, "updated": res.Updated}})
	})
	if err != nil {
		return ImportResult{}, err
	}
	s.analyze(ctx, "partners")
	return res, nil
}

// partnerUnchanged says whether importing in over p would change nothing.
func partnerUnchanged(p *ent.Partner, in PartnerInput, hasStatus bool) bool {
	tierSame := (p.Tier == nil && in.Tier == nil) || (p.Tier != nil && in.Tier != nil && *p.Tier == *in.Tier)
	return p.Name == in.Name && p.Kind == in.Kind && tierSame && slices.Equal(p.Tags, in.Tags) &&
		slices.Equal(p.Categories, in.Categories) && p.Address == in.Address &&
		(!hasStatus || in.Status == "" || p.Status == in.Status) &&
		(in.TimeZone == "" || p.TimeZone == in.TimeZone) && (in.AckSLAHours == 0 || p.AckSLAHours == in.AckSLAHours)
}

// analyze refreshes the planner's statistics after a bulk load, so the
// next searches use the right indexes at once instead of after the
// database's own background analysis. Best effort: a failure only costs
// speed.
func (s *Service) analyze(ctx context.Context, tables ...string) {
	for _, t := range tables {
		_, _ = s.client.ExecContext(ctx, "ANALYZE "+t)
	}
}

// ImportContacts creates contacts, or updates those matched by id (as
// exports write it) or else by partner and e-mail, all or none; a contact
// the file leaves as it is is not written. A changed owner moves on the
// ledger (reason import). r may name its encoding with csvfile.Named.
func (s *Service) ImportContacts(ctx context.Context, r io.Reader, progress Progress) (ImportResult, error) {
	t, err := csvfile.Read(r, ContactColumns, []string{"partner_code", "name", "owner_email"})
	if err != nil {
		return ImportResult{}, err
	}
	partnerIDs := map[string]int{}
	ps, err := s.client.Partner.Query().Select(partner.FieldID, partner.FieldCode).All(ctx)
	if err != nil {
		return ImportResult{}, err
	}
	for _, p := range ps {
		partnerIDs[p.Code] = p.ID
	}
	owners := map[string]int{}
	us, err := s.client.User.Query().Where(user.Active(true), user.RoleIn(user.RoleAdmin, user.RoleBuyer, user.RoleViewer)).All(ctx)
	if err != nil {
		return ImportResult{}, err
	}
	for _, u := range us {
		owners[u.Email] = u.ID
	}
	var errs []csvfile.RowError
	inputs := make([]ContactInput, len(t.Rows))
	ids := make([]int, len(t.Rows))
	keys := map[string]int{}
	idLines := map[int]int{}
	for i, row := range t.Rows {
		line := t.Lines[i]
		if v := t.Get(row, "id"); v != "" {
			id, err := strconv.Atoi(v)
			if err != nil || id < 1 {
				errs = append(errs, csvfile.RowError{Line: line, Column: "id", Reason: "must be a contact id from an export, or empty for a new contact"})
			} else if prev, dup := idLines[id]; dup {
				errs = append(errs, csvfile.RowError{Line: line, Column: "id", Reason: fmt.Sprintf("repeats the contact of line %d", prev)})
			} else {
				ids[i], idLines[id] = id, line
			}
		}
		in := ContactInput{Name: t.Get(row, "name"), Title: t.Get(row, "title"), Email: strings.ToLower(t.Get(row, "email")),
			Phone: t.Get(row, "phone"), Language: t.Get(row, "language")}
		code := t.Get(row, "partner_code")
		if id, ok := partnerIDs[code]; ok {
			in.PartnerID = id
		} else {
			errs = append(errs, csvfile.RowError{Line: line, Column: "partner_code", Reason: fmt.Sprintf("no partner has code %q", code)})
			in.PartnerID = -1
		}
		oe := strings.ToLower(t.Get(row, "owner_email"))
		if id, ok := owners[oe]; ok {
			in.OwnerID = id
		} else {
			errs = append(errs, csvfile.RowError{Line: line, Column: "owner_email", Reason: fmt.Sprintf("%q is not an active staff user", oe)})
			in.OwnerID = -1
		}
		if in.PartnerID > 0 && in.OwnerID > 0 {
			if err := partners.Validate(in); err != nil {
				errs = append(errs, csvfile.RowErrors(line, err)...)
			}
		} else if in.Name == "" {
			errs = append(errs, csvfile.RowError{Line: line, Column: "name", Reason: "is required"})
		}
		if in.Email != "" && ids[i] == 0 {
			k := code + "\x00" + in.Email
			if prev, dup := keys[k]; dup {
				errs = append(errs, csvfile.RowError{Line: line, Column: "email", Reason: fmt.Sprintf("repeats the contact of line %d", prev)})
			}
			keys[k] = line
		}
		inputs[i] = in
		if len(errs) >= csvfile.MaxErrors {
			break
		}
	}
	byID := map[int]*ent.Contact{}
	for chunk := range slices.Chunk(slices.Collect(maps.Keys(idLines)), 1000) {
		cts, err := s.client.Contact.Query().Where(contact.IDIn(chunk...)).All(ctx)
		if err != nil {
			return ImportResult{}, err
		}
		for _, ct := range cts {
			byID[ct.ID] = ct
		}
	}
	for i, id := range ids {
		if id == 0 || inputs[i].PartnerID < 0 {
			continue
		}
		if ct, ok := byID[id]; !ok {
			errs = append(errs, csvfile.RowError{Line: t.Lines[i], Column: "id", Reason: fmt.Sprintf("no contact has id %d in this directory; empty the cell to add the contact as new", id)})
		} else if ct.PartnerID != inputs[i].PartnerID {
			errs = append(errs, csvfile.RowError{Line: t.Lines[i], Column: "id", Reason: fmt.Sprintf("contact %d belongs to another partner than %q", id, t.Get(t.Rows[i], "partner_code"))})
		}
	}
	if len(errs) > 0 {
		return ImportResult{}, csvfile.Refused(errs)
	}
	res := ImportResult{Encoding: t.Encoding, EncodingHow: t.How}
	err = partners.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		c := tx.Client()
		existing := map[string]*ent.Contact{}
		var emails []string
		for i, in := range inputs {
			if in.Email != "" && ids[i] == 0 {
				emails = append(emails, in.Email)
			}
		}
		for chunk := range slices.Chunk(emails, 1000) {
			cts, err := c.Contact.Query().Where(contact.EmailIn(chunk...)).All(ctx)
			if err != nil {
				return err
			}
			for _, ct := range cts {
				existing[strconv.Itoa(ct.PartnerID)+"\x00"+ct.Email] = ct
			}
		}
		var creates []*ent.ContactCreate
		flush := func() error {
			if len(creates) == 0 {
				return nil
			}
			if err := c.Contact.CreateBulk(creates...).Exec(ctx); err != nil {
				return err
			}
			res.Created += len(creates)
			creates = creates[:0]
			return nil
		}
		batch := newBatch()
		for i, in := range inputs {
			lang := cmpStr(in.Language, "zh-CN")
			search := contactSearch(in.Name, in.Title, in.Email, in.Phone)
			ct, ok := byID[ids[i]]
			if ids[i] == 0 {
				ct, ok = existing[strconv.Itoa(in.PartnerID)+"\x00"+in.Email]
				ok = ok && in.Email != ""
			}
			if ok && ct.Name == in.Name && ct.Title == in.Title && ct.Email == in.Email && ct.Phone == in.Phone &&
				ct.Language == lang && ct.OwnerID == in.OwnerID {
				res.Unchanged++
			} else if ok {
				if err := c.Contact.UpdateOne(ct).SetName(in.Name).SetSortKey(partners.SortKey(in.Name)).SetSearchText(search).
					SetTitle(in.Title).SetEmail(in.Email).SetPhone(in.Phone).SetLanguage(lang).Exec(ctx); err != nil {
					return err
				}
				if ct.OwnerID != in.OwnerID {
					if _, err := s.HandOver(ctx, c, Handover{ContactIDs: []int{ct.ID}, ToOwnerID: in.OwnerID,
						Reason: contacttransfer.ReasonImport, Note: "CSV import", EffectiveAt: s.now(), Batch: batch}); err != nil {
						return err
					}
				}
				res.Updated++
			} else {
				creates = append(creates, c.Contact.Create().SetPartnerID(in.PartnerID).SetName(in.Name).
					SetSortKey(partners.SortKey(in.Name)).SetSearchText(search).SetTitle(in.Title).SetEmail(in.Email).
					SetPhone(in.Phone).SetLanguage(lang).SetOwnerID(in.OwnerID))
				if len(creates) == 500 {
					if err := flush(); err != nil {
						return err
					}
				}
			}
			if progress != nil && (i+1)%1000 == 0 {
				progress(i+1, len(inputs))
			}
		}
		if err := flush(); err != nil {
			return err
		}
		if progress != nil {
			progress(len(inputs), len(inputs))
		}
		return partners.Audit(ctx, c, partners.AuditRecord{Action: "contact.import", EntityType: "contact",
			After: map[string]any{"created": res.Created, "updated": res.Updated}})
	})
	if err != nil {
		return ImportResult{}, err
	}
	s.analyze(ctx, "contacts", "contact_transfers")
	return res, nil
}

// ExportPartners writes every partner visible to the caller as CSV, in
// the columns ImportPartners reads, in enc (UTF-8 with a byte-order mark
// unless GB18030), with formula cells escaped (csvfile.Writer).
func (s *Service) ExportPartners(ctx context.Context, w io.Writer, enc csvfile.Encoding) (int, error) {
	cw := csvfile.NewWriter(w, enc)
	if err := cw.Write(PartnerColumns); err != nil {
		return 0, err
	}
	n := 0
	lastKey, lastID := "", 0
	for {
		q := s.client.Partner.Query()
		if lastID != 0 {
			q.Where(partner.Or(partner.SortKeyGT(lastKey), partner.And(partner.SortKey(lastKey), partner.IDGT(lastID))))
		}
		rows, err := q.Order(ent.Asc(partner.FieldSortKey), ent.Asc(partner.FieldID)).Limit(2000).All(ctx)
		if err != nil {
			return n, err
		}
		for _, p := range rows {
			tier := ""
			if p.Tier != nil {
				tier = strconv.Itoa(*p.Tier)
			}
			if err := cw.Write([]string{p.Code, p.Name, string(p.Kind), tier, string(p.Status), strings.Join(p.Tags, ";"),
				strings.Join(p.Categories, ";"), p.Address, p.TimeZone, strconv.Itoa(p.AckSLAHours)}); err != nil {
				return n, err
			}
			n++
		}
		if len(rows) < 2000 {
			break
		}
		lastKey, lastID = rows[len(rows)-1].SortKey, rows[len(rows)-1].ID
	}
	return n, cw.Flush()
}

// ExportContacts writes every visible contact as CSV, with its id, so the
// file imports back into the same directory without adding anyone.
func (s *Service) ExportContacts(ctx context.Context, w io.Writer, enc csvfile.Encoding) (int, error) {
	cw := csvfile.NewWriter(w, enc)
	if err := cw.Write(ContactColumns); err != nil {
		return 0, err
	}
	n, lastID := 0, 0
	for {
		rows, err := s.client.Contact.Query().Where(contact.IDGT(lastID)).Order(ent.Asc(contact.FieldID)).
			Limit(2000).WithPartner().WithOwner().All(ctx)
		if err != nil {
			return n, err
		}
		for _, ct := range rows {
			if err := cw.Write([]string{strconv.Itoa(ct.ID), ct.Edges.Partner.Code, ct.Name, ct.Title, ct.Email, ct.Phone, ct.Language,
				ct.Edges.Owner.Email}); err != nil {
				return n, err
			}
			n++
		}
		if len(rows) < 2000 {
			break
		}
		lastID = rows[len(rows)-1].ID
	}
	return n, cw.Flush()
}
