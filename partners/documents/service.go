package documents

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"entgo.io/ent/dialect"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/document"
	"github.com/tierlink/tierlink/ent/documentdownload"
	"github.com/tierlink/tierlink/ent/documentversion"
	"github.com/tierlink/tierlink/ent/group"
	"github.com/tierlink/tierlink/ent/partner"
	"github.com/tierlink/tierlink/ent/user"
	"github.com/tierlink/tierlink/ent/viewer"
	"github.com/tierlink/tierlink/partners"
	"github.com/tierlink/tierlink/storage"
)

// Service manages documents.
type Service struct {
	client *ent.Client
	store  storage.Store
	log    *slog.Logger
	now    func() time.Time
	zone   *time.Location
	// MaxSize is the largest upload accepted, checked before storage is
	// touched.
	MaxSize int64
	// PartnerQuota caps the bytes one partner's document versions may
	// hold together (0: no cap), checked before storage is touched and
	// again in the transaction that records the version.
	PartnerQuota int64
	// Dialect is the database's; on PostgreSQL the quota check inside
	// the transaction locks the partner's row, so concurrent uploads of
	// one partner queue there (SQLite has one writer anyway).
	Dialect string
	// LinkTTL is how long a presigned download link works.
	LinkTTL time.Duration
}

// New returns a documents service; zone is the company time zone in
// which certificate dates are read.
func New(client *ent.Client, store storage.Store, zone *time.Location, log *slog.Logger) *Service {
	if zone == nil {
		zone = time.UTC
	}
	if log == nil {
		log = slog.Default()
	}
	return &Service{client: client, store: store, log: log, now: time.Now, zone: zone, MaxSize: 512 << 20, LinkTTL: 5 * time.Minute}
}

// SetClock replaces the clock, for tests.
func (s *Service) SetClock(now func() time.Time) { s.now = now }

// Store returns the object store documents live in.
func (s *Service) Store() storage.Store { return s.store }

func system(ctx context.Context) context.Context { return partners.AsSystem(ctx, "documents") }

func newKey(partnerID int) string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return fmt.Sprintf("docs/%d/%s", partnerID, hex.EncodeToString(b))
}

// mayAdd refuses, before any byte is stored, callers who could not add a
// document to the partner anyway. Privacy still decides at the insert;
// this only keeps refused uploads from reaching storage. A partner the
// caller cannot see is answered like one that does not exist: an error
// on partner_id, the input that names it.
func (s *Service) mayAdd(ctx context.Context, partnerID int) error {
	v, _ := viewer.FromContext(ctx)
	if _, err := s.client.Partner.Get(ctx, partnerID); err != nil {
		return partners.Ref("partner_id", "no such partner", err)
	}
	ownPartner := v.IsPartner() && v.PartnerID == partnerID
	if !v.CanEdit() && !ownPartner {
		return partners.Errorf(partners.EForbidden, "your role may not upload documents")
	}
	return nil
}

// checkLinks refuses, before storage is touched, links to an order,
// shipment or group that is not the document's partner's or that the
// caller cannot see; all get the answer an id that does not exist gets.
// A document's group is a partner group of the document's partner, for
// staff too: the partner sees the document and its group id, and an
// internal group is the company's own business.
func (s *Service) checkLinks(ctx context.Context, in UploadInput) error {
	if in.OrderID != 0 {
		const why = "must be an order of the same partner"
		o, err := s.client.Order.Get(ctx, in.OrderID)
		if err != nil {
			return partners.Ref("order_id", why, err)
		}
		if o.PartnerID != in.PartnerID {
			return partners.Invalid("order_id", why)
		}
	}
	if in.ShipmentID != 0 {
		const why = "must be a shipment of the same partner"
		sh, err := s.client.Shipment.Get(ctx, in.ShipmentID)
		if err != nil {
			return partners.Ref("shipment_id", why, err)
		}
		if sh.PartnerID != in.PartnerID {
			return partners.Invalid("shipment_id", why)
		}
	}
	if in.GroupID != 0 {
		const why = "must be a partner group of the same partner"
		g, err := s.client.Group.Get(ctx, in.GroupID)
		if err != nil {
			return partners.Ref("group_id", why, err)
		}
		if g.Kind != group.KindPartner || g.PartnerID == nil || *g.PartnerID != in.PartnerID {
			return partners.Invalid("group_id", why)
		}
	}
	return nil
}

// stored is an object written for an upload that its rows may not yet
// reference.
type stored struct {
	key, sha, contentType, filename string
	size                            int64
}

// put checks and streams an upload into storage: the size against the
// limit, the first bytes against the allowlist and the claimed type,
// hashing as it goes. Nothing reaches storage unless those checks pass.
func (s *Service) put(ctx context.Context, partnerID int, filename string, b Body) (stored, error) {
	if b.Size < 0 {
		return stored{}, partners.Errorf(partners.ELengthRequired, "send the file with a Content-Length header")
	}
	if b.Size == 0 {
		return stored{}, partners.Invalid("file", "is empty")
	}
	if b.Size > s.MaxSize {
		return stored{}, partners.Errorf(partners.ETooLarge, "the file is %d bytes; the limit is %d bytes", b.Size, s.MaxSize)
	}
	if err := s.checkQuota(ctx, s.client, partnerID, b.Size); err != nil {
		return stored{}, err
	}
	name := storage.SanitizeFilename(filename)
	br := bufio.NewReaderSize(b.R, sniffLen)
	head, err := br.Peek(int(min(b.Size, sniffLen)))
	if err != nil && !errors.Is(err, io.EOF) {
		s.log.InfoContext(ctx, "upload unreadable", "err", err)
		return stored{}, partners.InvalidBecause("file", partners.R("file_unreadable_again"))
	}
	ct, err := decideType(head, b.ClaimedType, name)
	if err != nil {
		return stored{}, err
	}
	h := sha256.New()
	key := newKey(partnerID)
	if err := s.store.Put(ctx, key, io.TeeReader(br, h), b.Size, ct); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return stored{}, partners.Invalid("file", "the upload ended before Content-Length bytes arrived")
		}
		return stored{}, fmt.Errorf("store %s: %w", key, err)
	}
	return stored{key: key, sha: hex.EncodeToString(h.Sum(nil)), contentType: ct, filename: name, size: b.Size}, nil
}

// discard removes an object whose rows did not commit; if that fails too,
// the sweep removes it later.
func (s *Service) discard(key string) {
	if err := s.store.Delete(context.Background(), key); err != nil {
		s.log.Warn("orphan object left for the sweep", "key", key, "err", err)
	}
}

// Upload stores a new document with its first version. The object is
// written first; its rows commit after, in one transaction with the audit
// entry, so a row never points at a missing object.
func (s *Service) Upload(ctx context.Context, in UploadInput, b Body) (Document, error) {
	if err := partners.Validate(in); err != nil {
		return Document{}, err
	}
	validFrom, err := partners.ParseDate("valid_from", in.ValidFrom)
	if err != nil {
		return Document{}, err
	}
	expires, err := partners.ParseDate("expires_on", in.ExpiresOn)
	if err != nil {
		return Document{}, err
	}
	if in.Kind != document.KindCertificate && (in.CertIssuer != "" || in.CertNumber != "" || validFrom != nil || expires != nil || in.Mandatory) {
		return Document{}, partners.Invalid("kind", "only certificates carry issuer, number and validity")
	}
	if validFrom != nil && expires != nil && expires.Before(*validFrom) {
		return Document{}, partners.Invalid("expires_on", "is before valid_from")
	}
	if err := s.mayAdd(ctx, in.PartnerID); err != nil {
		return Document{}, err
	}
	if err := s.checkLinks(ctx, in); err != nil {
		return Document{}, err
	}
	obj, err := s.put(ctx, in.PartnerID, in.Filename, b)
	if err != nil {
		return Document{}, err
	}
	title := in.Title
	if title == "" {
		title = obj.filename
	}
	v, _ := viewer.FromContext(ctx)
	var id int
	err = partners.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		c := tx.Client()
		q := c.Document.Create().SetPartnerID(in.PartnerID).SetKind(in.Kind).SetTitle(title).
			SetDescription(in.Description).SetTags(splitTags(in.Tags)).SetCurrentVersion(1).
			SetCertIssuer(in.CertIssuer).SetCertNumber(in.CertNumber).SetNillableValidFrom(validFrom).SetNillableExpiresOn(expires).
			SetMandatory(in.Mandatory)
		if in.OrderID != 0 {
			q.SetOrderID(in.OrderID)
		}
		if in.ShipmentID != 0 {
			q.SetShipmentID(in.ShipmentID)
		}
		if in.GroupID != 0 {
			q.SetGroupID(in.GroupID)
		}
		if v.UserID != 0 {
			q.SetCreatedByID(v.UserID)
		}
		d, err := q.Save(ctx)
		if err != nil {
			return err
		}
		id = d.ID
		if err := s.createVersion(ctx, c, d, 1, obj); err != nil {
			return err
		}
		return partners.Audit(ctx, c, partners.AuditRecord{Action: "document.upload", EntityType: "document", EntityID: d.ID,
			PartnerID: &d.PartnerID, After: map[string]any{"kind": in.Kind, "title": title, "filename": obj.filename, "sha256": obj.sha, "size": obj.size}})
	})
	if err != nil {
		s.discard(obj.key)
		return Document{}, err
	}
	return s.Document(ctx, id)
}

// checkQuota refuses size more bytes for a partner whose versions would
// then pass the quota. Checked before the upload is streamed (nothing
// stored) and again inside the recording transaction, so two uploads
// racing past the first check cannot both land.
func (s *Service) checkQuota(ctx context.Context, c *ent.Client, partnerID int, size int64) error {
	if s.PartnerQuota <= 0 {
		return nil
	}
	var sum []struct {
		Sum sql.NullInt64 `json:"sum"`
	}
	err := c.DocumentVersion.Query().Where(documentversion.PartnerID(partnerID)).Aggregate(ent.Sum(documentversion.FieldSize)).
		Scan(system(ctx), &sum)
	if err != nil {
		return err
	}
	used := int64(0)
	if len(sum) == 1 && sum[0].Sum.Valid {
		used = sum[0].Sum.Int64
	}
	if used+size > s.PartnerQuota {
		return &partners.Error{Code: partners.ETooLarge,
			Message: fmt.Sprintf("this partner's documents use %d of their %d-byte storage quota; %d more bytes do not fit", used, s.PartnerQuota, size),
			Fields:  []partners.FieldError{{Field: "file", Reason: "exceeds the partner's storage quota"}}}
	}
	return nil
}

func (s *Service) createVersion(ctx context.Context, c *ent.Client, d *ent.Document, n int, obj stored) error {
	if s.PartnerQuota > 0 && s.Dialect == dialect.Postgres {
		if _, err := c.Partner.Query().Where(partner.ID(d.PartnerID)).ForUpdate().Only(system(ctx)); err != nil {
			return err
		}
	}
	if err := s.checkQuota(ctx, c, d.PartnerID, obj.size); err != nil {
		return err
	}
	v, _ := viewer.FromContext(ctx)
	q := c.DocumentVersion.Create().SetDocumentID(d.ID).SetPartnerID(d.PartnerID).SetVersion(n).SetObjectKey(obj.key).
		SetSize(obj.size).SetSha256(obj.sha).SetContentType(obj.contentType).SetFilename(obj.filename).SetUploadedBy(v.Label).
		SetCreatedAt(s.now())
	if v.UserID != 0 {
		q.SetUploadedByID(v.UserID)
	}
	return q.Exec(ctx)
}

// AddVersion uploads a new version; earlier ones stay downloadable.
func (s *Service) AddVersion(ctx context.Context, id int, in VersionInput, b Body) (Document, error) {
	if err := partners.Validate(in); err != nil {
		return Document{}, err
	}
	d, err := s.client.Document.Get(ctx, id)
	if err != nil {
		return Document{}, err
	}
	if err := s.mayAdd(ctx, d.PartnerID); err != nil {
		return Document{}, err
	}
	obj, err := s.put(ctx, d.PartnerID, in.Filename, b)
	if err != nil {
		return Document{}, err
	}
	err = partners.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		c := tx.Client()
		// The increment is one UPDATE, which also locks the row until
		// commit, so concurrent uploads get consecutive numbers.
		d, err := c.Document.UpdateOneID(id).AddCurrentVersion(1).Save(ctx)
		if err != nil {
			return err
		}
		if err := s.createVersion(ctx, c, d, d.CurrentVersion, obj); err != nil {
			return err
		}
		return partners.Audit(ctx, c, partners.AuditRecord{Action: "document.version", EntityType: "document", EntityID: id,
			PartnerID: &d.PartnerID, After: map[string]any{"version": d.CurrentVersion, "filename": obj.filename, "sha256": obj.sha, "size": obj.size}})
	})
	if err != nil {
		s.discard(obj.key)
		return Document{}, err
	}
	return s.Document(ctx, id)
}

// Update changes a document's descriptive fields.
func (s *Service) Update(ctx context.Context, id int, p Patch) (Document, error) {
	if err := partners.Validate(p); err != nil {
		return Document{}, err
	}
	err := partners.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		c := tx.Client()
		before, err := c.Document.Get(ctx, id)
		if err != nil {
			return err
		}
		q := c.Document.UpdateOne(before)
		certField := p.CertIssuer != nil || p.CertNumber != nil || p.ValidFrom != nil || p.ExpiresOn != nil || p.Mandatory != nil
		if certField && before.Kind != document.KindCertificate {
			return partners.Invalid("kind", "only certificates carry issuer, number and validity")
		}
		if p.Title != nil {
			q.SetTitle(*p.Title)
		}
		if p.Description != nil {
			q.SetDescription(*p.Description)
		}
		if p.Tags != nil {
			q.SetTags(*p.Tags)
		}
		if p.CertIssuer != nil {
			q.SetCertIssuer(*p.CertIssuer)
		}
		if p.CertNumber != nil {
			q.SetCertNumber(*p.CertNumber)
		}
		if p.ValidFrom != nil {
			t, err := partners.ParseDate("valid_from", *p.ValidFrom)
			if err != nil {
				return err
			}
			q.SetNillableValidFrom(t)
		}
		if p.ExpiresOn != nil {
			t, err := partners.ParseDate("expires_on", *p.ExpiresOn)
			if err != nil {
				return err
			}
			q.SetNillableExpiresOn(t)
		}
		if p.Mandatory != nil {
			q.SetMandatory(*p.Mandatory)
		}
		after, err := q.Save(ctx)
		if err != nil {
			return err
		}
		return partners.Audit(ctx, c, partners.AuditRecord{Action: "document.update", EntityType: "document", EntityID: id,
			PartnerID: &after.PartnerID, Before: map[string]any{"title": before.Title, "expires_on": before.ExpiresOn},
			After: map[string]any{"title": after.Title, "expires_on": after.ExpiresOn}})
	})
	if err != nil {
		return Document{}, err
	}
	return s.Document(ctx, id)
}

// Delete removes a document and all its versions. The rows go first, in
// one transaction; the objects after, so no row ever points at a missing
// object (an object whose removal fails is an orphan the sweep removes).
func (s *Service) Delete(ctx context.Context, id int) error {
	var keys []string
	err := partners.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		c := tx.Client()
		d, err := c.Document.Get(ctx, id)
		if err != nil {
			return err
		}
		vs, err := c.DocumentVersion.Query().Where(documentversion.DocumentID(id)).All(ctx)
		if err != nil {
			return err
		}
		for _, v := range vs {
			keys = append(keys, v.ObjectKey)
		}
		if _, err := c.DocumentVersion.Delete().Where(documentversion.DocumentID(id)).Exec(ctx); err != nil {
			return err
		}
		if err := c.Document.DeleteOne(d).Exec(ctx); err != nil {
			return err
		}
		return partners.Audit(ctx, c, partners.AuditRecord{Action: "document.delete", EntityType: "document", EntityID: id,
			PartnerID: &d.PartnerID, Before: map[string]any{"title": d.Title, "versions": len(vs)}})
	})
	if err != nil {
		return err
	}
	for _, k := range keys {
		s.discard(k)
	}
	return nil
}

// Document returns a document with its versions, newest first.
func (s *Service) Document(ctx context.Context, id int) (Document, error) {
	d, err := s.client.Document.Query().Where(document.ID(id)).
		WithVersions(func(q *ent.DocumentVersionQuery) { q.Order(ent.Desc(documentversion.FieldVersion)) }).Only(ctx)
	if err != nil {
		return Document{}, err
	}
	out := s.toDocument(d)
	var ids []int
	for _, v := range d.Edges.Versions {
		out.Versions = append(out.Versions, toVersion(v))
		if v.UploadedByID != nil {
			ids = append(ids, *v.UploadedByID)
		}
	}
	names, err := s.userNames(ctx, ids)
	if err != nil {
		return Document{}, err
	}
	for i, v := range out.Versions {
		if v.UploadedByID != nil {
			out.Versions[i].UploadedByName = names[*v.UploadedByID]
		}
	}
	if len(out.Versions) > 0 {
		out.Current = &out.Versions[0]
	}
	return out, nil
}

// List returns documents, newest first.
func (s *Service) List(ctx context.Context, f Filter) (Page, error) {
	if err := partners.Validate(f); err != nil {
		return Page{}, err
	}
	q := s.client.Document.Query()
	if f.PartnerID != 0 {
		q.Where(document.PartnerID(f.PartnerID))
	}
	if f.Kind != "" {
		q.Where(document.KindEQ(f.Kind))
	}
	if f.OrderID != 0 {
		q.Where(document.OrderID(f.OrderID))
	}
	if f.ShipmentID != 0 {
		q.Where(document.ShipmentID(f.ShipmentID))
	}
	if f.GroupID != 0 {
		q.Where(document.GroupID(f.GroupID))
	}
	if t := strings.TrimSpace(f.Q); t != "" {
		q.Where(document.Or(document.TitleContainsFold(t), document.DescriptionContainsFold(t), document.CertNumberContainsFold(t)))
	}
	if f.CertStatus != "" {
		today := s.today()
		soon := today.AddDate(0, 0, 30)
		q.Where(document.KindEQ(document.KindCertificate), document.ExpiresOnNotNil())
		switch f.CertStatus {
		case CertExpired:
			q.Where(document.ExpiresOnLT(today))
		case CertExpiring:
			q.Where(document.ExpiresOnGTE(today), document.ExpiresOnLTE(soon))
		case CertValid:
			q.Where(document.ExpiresOnGT(soon))
		}
	}
	before, err := partners.BeforeID(f.Cursor)
	if err != nil {
		return Page{}, err
	}
	if before != 0 {
		q.Where(document.IDLT(before))
	}
	limit := partners.Limit(f.Limit, 50)
	rows, err := q.Order(ent.Desc(document.FieldID)).Limit(limit + 1).
		WithVersions(func(q *ent.DocumentVersionQuery) { q.Order(ent.Desc(documentversion.FieldVersion)) }).All(ctx)
	if err != nil {
		return Page{}, err
	}
	var p Page
	rows, p.NextCursor = partners.Trim(rows, limit, func(d *ent.Document) int { return d.ID })
	p.Items = make([]Document, 0, len(rows))
	for _, d := range rows {
		out := s.toDocument(d)
		if len(d.Edges.Versions) > 0 {
			v := toVersion(d.Edges.Versions[0])
			out.Current = &v
		}
		p.Items = append(p.Items, out)
	}
	return p, nil
}

// today is the current date in the company zone, as a UTC midnight like
// the stored dates.
func (s *Service) today() time.Time {
	y, m, d := s.now().In(s.zone).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// CertStatus classifies a certificate's expiry date relative to today.
func (s *Service) CertStatus(expires *time.Time) CertStatus {
	if expires == nil {
		return ""
	}
	today := s.today()
	switch e := expires.UTC(); {
	case e.Before(today):
		return CertExpired
	case !e.After(today.AddDate(0, 0, 30)):
		return CertExpiring
	}
	return CertValid
}

func (s *Service) toDocument(d *ent.Document) Document {
	out := Document{ID: d.ID, PartnerID: d.PartnerID, Kind: d.Kind, Title: d.Title, Description: d.Description,
		Tags: d.Tags, CurrentVersion: d.CurrentVersion, OrderID: d.OrderID, ShipmentID: d.ShipmentID, GroupID: d.GroupID,
		CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt}
	if out.Tags == nil {
		out.Tags = []string{}
	}
	if d.Kind == document.KindCertificate {
		out.Certificate = &Certificate{Issuer: d.CertIssuer, Number: d.CertNumber, ValidFrom: d.ValidFrom, ExpiresOn: d.ExpiresOn,
			Mandatory: d.Mandatory, Status: s.CertStatus(d.ExpiresOn)}
	}
	return out
}

func toVersion(v *ent.DocumentVersion) Version {
	return Version{ID: v.ID, Version: v.Version, Size: v.Size, SHA256: v.Sha256, ContentType: v.ContentType,
		Filename: v.Filename, UploadedBy: v.UploadedBy, UploadedByID: v.UploadedByID, CreatedAt: v.CreatedAt}
}

func splitTags(s string) []string {
	var out []string
	for _, t := range strings.Split(s, ";") {
		if t = strings.TrimSpace(t); t != "" && len(out) < 20 {
			out = append(out, t)
		}
	}
	if out == nil {
		return []string{}
	}
	return out
}

// Download hands out a version (the current one when version is 0) and
// records who took it: a presigned link where the store can make one,
// else a stream for the portal to serve.
func (s *Service) Download(ctx context.Context, id, version int, ip string) (Download, error) {
	q := s.client.DocumentVersion.Query().Where(documentversion.DocumentID(id))
	if version != 0 {
		q.Where(documentversion.Version(version))
	}
	v, err := q.Order(ent.Desc(documentversion.FieldVersion)).First(ctx)
	if err != nil {
		if ent.IsNotFound(err) {
			return Download{}, partners.NotFound("document version")
		}
		return Download{}, err
	}
	out := Download{Filename: v.Filename, ContentType: v.ContentType, Size: v.Size, SHA256: v.Sha256}
	via := documentdownload.ViaPresigned
	url, err := s.store.PresignGet(ctx, v.ObjectKey, s.LinkTTL, v.Filename, v.ContentType)
	if err != nil {
		return Download{}, err
	}
	if url != "" {
		out.URL, out.ExpiresAt = url, s.now().Add(s.LinkTTL)
	} else {
		via = documentdownload.ViaStream
		rc, _, err := s.store.Get(ctx, v.ObjectKey)
		if err != nil {
			return Download{}, fmt.Errorf("object %s of document %d: %w", v.ObjectKey, id, err)
		}
		out.Body = rc
	}
	vw, _ := viewer.FromContext(ctx)
	rec := s.client.DocumentDownload.Create().SetDocumentID(id).SetVersionID(v.ID).SetVersion(v.Version).
		SetPartnerID(v.PartnerID).SetUser(vw.Label).SetVia(via).SetIP(ip).SetCreatedAt(s.now())
	if vw.UserID != 0 {
		rec.SetUserID(vw.UserID)
	}
	if err := rec.Exec(system(ctx)); err != nil {
		if out.Body != nil {
			out.Body.Close()
		}
		return Download{}, err
	}
	return out, nil
}

// Downloads lists who downloaded a document, newest first, the latest
// 500 at most (staff only); ListDownloads pages through them all.
func (s *Service) Downloads(ctx context.Context, id int) ([]DownloadRecord, error) {
	return s.downloads(ctx, id, 0, 500)
}

// ListDownloads pages through who downloaded a document, newest first
// (staff only).
func (s *Service) ListDownloads(ctx context.Context, id int, f DownloadFilter) (DownloadPage, error) {
	if err := partners.Validate(f); err != nil {
		return DownloadPage{}, err
	}
	before, err := partners.BeforeID(f.Cursor)
	if err != nil {
		return DownloadPage{}, err
	}
	limit := partners.Limit(f.Limit, 50)
	rs, err := s.downloads(ctx, id, before, limit+1)
	if err != nil {
		return DownloadPage{}, err
	}
	var p DownloadPage
	p.Items, p.NextCursor = partners.Trim(rs, limit, func(r DownloadRecord) int { return r.ID })
	return p, nil
}

// downloads reads up to limit download records of a visible document,
// newest first, below the id before (0: from the newest).
func (s *Service) downloads(ctx context.Context, id, before, limit int) ([]DownloadRecord, error) {
	if _, err := s.client.Document.Get(ctx, id); err != nil {
		return nil, err
	}
	q := s.client.DocumentDownload.Query().Where(documentdownload.DocumentID(id))
	if before != 0 {
		q.Where(documentdownload.IDLT(before))
	}
	rows, err := q.Order(ent.Desc(documentdownload.FieldID)).Limit(limit).All(ctx)
	if err != nil {
		return nil, err
	}
	var ids []int
	for _, r := range rows {
		if r.UserID != nil {
			ids = append(ids, *r.UserID)
		}
	}
	names, err := s.userNames(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]DownloadRecord, 0, len(rows))
	for _, r := range rows {
		d := DownloadRecord{ID: r.ID, Version: r.Version, User: r.User, UserID: r.UserID, Via: r.Via, IP: r.IP, CreatedAt: r.CreatedAt}
		if r.UserID != nil {
			d.UserName = names[*r.UserID]
		}
		out = append(out, d)
	}
	return out, nil
}

// userNames maps user ids to names, in one query. It reads as the
// system: whoever may see a document's versions and downloads may see
// who made them, even a user whose row the reader could not list.
func (s *Service) userNames(ctx context.Context, ids []int) (map[int]string, error) {
	out := map[int]string{}
	if len(ids) == 0 {
		return out, nil
	}
	us, err := s.client.User.Query().Where(user.IDIn(ids...)).Select(user.FieldID, user.FieldName).
		All(partners.AsSystem(ctx, "documents"))
	if err != nil {
		return nil, err
	}
	for _, u := range us {
		out[u.ID] = u.Name
	}
	return out, nil
}

// Sweep removes objects no version row references that are older than
// grace (younger ones may belong to an upload still committing).
func (s *Service) Sweep(ctx context.Context, grace time.Duration) (removed int, err error) {
	sys := system(ctx)
	cutoff := s.now().Add(-grace)
	var batch []string
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		known := map[string]bool{}
		keys, err := s.client.DocumentVersion.Query().Where(documentversion.ObjectKeyIn(batch...)).
			Select(documentversion.FieldObjectKey).Strings(sys)
		if err != nil {
			return err
		}
		for _, k := range keys {
			known[k] = true
		}
		for _, k := range batch {
			if !known[k] {
				if err := s.store.Delete(ctx, k); err != nil {
					return err
				}
				s.log.Info("orphan object removed", "key", k)
				removed++
			}
		}
		batch = batch[:0]
		return nil
	}
	for o, err := range s.store.List(ctx, "docs/") {
		if err != nil {
			return removed, err
		}
		if o.ModTime.After(cutoff) {
			continue
		}
		batch = append(batch, o.Key)
		if len(batch) == 500 {
			if err := flush(); err != nil {
				return removed, err
			}
		}
	}
	return removed, flush()
}

// Verify re-hashes every stored version and reports objects that are
// missing or whose bytes no longer match their SHA-256.
func (s *Service) Verify(ctx context.Context) (checked int, problems []Problem, err error) {
	sys := system(ctx)
	last := 0
	for {
		vs, err := s.client.DocumentVersion.Query().Where(documentversion.IDGT(last)).Order(ent.Asc(documentversion.FieldID)).Limit(200).All(sys)
		if err != nil {
			return checked, problems, err
		}
		for _, v := range vs {
			last = v.ID
			checked++
			p := Problem{DocumentID: v.DocumentID, Version: v.Version, Key: v.ObjectKey}
			rc, obj, err := s.store.Get(ctx, v.ObjectKey)
			if errors.Is(err, storage.ErrNotFound) {
				p.Reason = "object missing"
				problems = append(problems, p)
				continue
			} else if err != nil {
				return checked, problems, err
			}
			h := sha256.New()
			_, err = io.Copy(h, rc)
			rc.Close()
			if err != nil {
				return checked, problems, err
			}
			if got := hex.EncodeToString(h.Sum(nil)); got != v.Sha256 {
				p.Reason = fmt.Sprintf("sha256 %s, recorded %s", got, v.Sha256)
				problems = append(problems, p)
			} else if obj.Size != v.Size {
				p.Reason = fmt.Sprintf("size %d, recorded %d", obj.Size, v.Size)
				problems = append(problems, p)
			}
		}
		if len(vs) < 200 {
			return checked, problems, nil
		}
	}
}
