package inbound

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"strings"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/document"
	"github.com/tierlink/tierlink/ent/group"
	"github.com/tierlink/tierlink/ent/idempotencykey"
	"github.com/tierlink/tierlink/ent/mailinbound"
	"github.com/tierlink/tierlink/ent/viewer"
	"github.com/tierlink/tierlink/partners"
	"github.com/tierlink/tierlink/partners/documents"
	"github.com/tierlink/tierlink/partners/groups"
	"github.com/tierlink/tierlink/partners/i18n"
)

// Reasons a reply is refused, stored in mail_inbound.reason (the admin
// reads them as reason.reply_<code>).
const (
	ReasonBadToken           = "bad_token"
	ReasonTooLarge           = "too_large"
	ReasonMalformed          = "malformed"
	ReasonTooManyParts       = "too_many_parts"
	ReasonAutoReply          = "auto_reply"
	ReasonSenderMismatch     = "sender_mismatch"
	ReasonUserInactive       = "user_inactive"
	ReasonEmptyReply         = "empty_reply"
	ReasonBodyTooLong        = "body_too_long"
	ReasonAttachmentRefused  = "attachment_refused"
	ReasonAttachmentTooLarge = "attachment_too_large"
	ReasonPostRefused        = "post_refused"
	ReasonTemporary          = "temporary_failure"
)

// maxBody is the longest post, in characters (groups.PostInput).
const maxBody = 10000

// staleClaim is how long a row may stay "processing" before a new
// delivery of the same mail takes it over (the first one crashed).
const staleClaim = 15 * time.Minute

// replyScope and replyKeyTTL are the idempotency key a reply's post
// commits with, keyed by the mail's Message-ID hash.
const (
	replyScope  = "mail-reply"
	replyKeyTTL = 30 * 24 * time.Hour
)

// replyErr is a refusal: the SMTP answer and the stored reason.
func replyErr(code int, enh smtp.EnhancedCode, msg string) *smtp.SMTPError {
	return &smtp.SMTPError{Code: code, EnhancedCode: enh, Message: msg}
}

var (
	errBadRcpt   = replyErr(550, smtp.EnhancedCode{5, 1, 1}, "No such reply address")
	errSender    = replyErr(550, smtp.EnhancedCode{5, 7, 1}, "Sender does not match the reply address")
	errInactive  = replyErr(550, smtp.EnhancedCode{5, 7, 1}, "This account is deactivated")
	errEmpty     = replyErr(554, smtp.EnhancedCode{5, 6, 0}, "The reply has no text above the quoted mail and no attachment")
	errLong      = replyErr(552, smtp.EnhancedCode{5, 3, 4}, "The reply is longer than 10000 characters")
	errParts     = replyErr(552, smtp.EnhancedCode{5, 3, 4}, "Too many parts or attachments (at most 20 attachments)")
	errMalformed = replyErr(554, smtp.EnhancedCode{5, 6, 0}, "The message could not be read")
	errTemporary = replyErr(451, smtp.EnhancedCode{4, 3, 0}, "Temporary failure, try again later")
	errShutdown  = replyErr(421, smtp.EnhancedCode{4, 3, 2}, "Shutting down, try again later")
	errBusy      = replyErr(451, smtp.EnhancedCode{4, 3, 0}, "This message is being delivered; try again later")
)

// session is one SMTP transaction's state.
type session struct {
	s      *Server
	remote string
	from   string
	rcpt   string
	// What the reply address names, checked at RCPT.
	groupID, contactID, userID int
}

func (ss *session) Reset() { ss.from, ss.rcpt, ss.groupID, ss.contactID, ss.userID = "", "", 0, 0, 0 }

func (ss *session) Logout() error { return nil }

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	ss.from = strings.ToLower(strings.TrimSpace(from))
	return nil
}

// Rcpt accepts only a reply address of our domain with a valid MAC whose
// group and contact (or user) still exist.
func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ctx, cancel := context.WithTimeout(ss.s.sys(), 30*time.Second)
	defer cancel()
	to = strings.ToLower(strings.TrimSpace(to))
	_, domain, _ := strings.Cut(to, "@")
	g, c, u, err := ss.s.keys.ParseReplyAddress(to)
	if err == nil && domain != ss.s.cfg.Domain {
		err = errors.New("another domain")
	}
	if err == nil {
		err = ss.s.exists(ctx, g, c, u)
	}
	if err != nil {
		ss.s.refused(ctx, row{envelopeFrom: ss.from, rcpt: to}, ReasonBadToken, "remote", ss.remote, "err", err)
		return errBadRcpt
	}
	ss.rcpt, ss.groupID, ss.contactID, ss.userID = to, g, c, u
	return nil
}

// Data spools the mail, then posts it; it answers 250 only after the
// post has committed.
func (ss *session) Data(r io.Reader) error {
	ctx, cancel := context.WithTimeout(ss.s.sys(), 5*time.Minute)
	defer cancel()
	rw := row{envelopeFrom: ss.from, rcpt: ss.rcpt, groupID: ss.groupID, contactID: ss.contactID, userID: ss.userID}
	f, err := os.CreateTemp(ss.s.cfg.SpoolDir, "tierlink-mail-*")
	if err != nil {
		ss.s.log.Error("spool", "err", err)
		return errTemporary
	}
	defer func() { _ = f.Close(); _ = os.Remove(f.Name()) }()
	h := sha256.New()
	rw.size, err = io.Copy(f, io.TeeReader(r, h))
	if err != nil {
		var se *smtp.SMTPError
		if errors.As(err, &se) && se.Code == 552 {
			ss.s.refused(ctx, rw, ReasonTooLarge, "limit", ss.s.cfg.MaxBytes)
			return err
		}
		ss.s.log.Warn("mail not received", "err", err, "remote", ss.remote)
		return errTemporary
	}
	bodyHash := hex.EncodeToString(h.Sum(nil))
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return errTemporary
	}
	// Shutdown waits for mail from here on (it is being posted), not for
	// mail still arriving.
	if !ss.s.begin() {
		return errShutdown
	}
	defer ss.s.end()
	return ss.s.deliver(ctx, rw, f, bodyHash)
}

// row is what a mail_inbound row records.
type row struct {
	id                         int
	envelopeFrom, headerFrom   string
	rcpt                       string
	groupID, contactID, userID int
	size                       int64
}

func (s *Server) sys() context.Context {
	return viewer.NewContext(context.Background(), viewer.System("inbound-mail"))
}

// exists checks the group, and the contact or user, of a reply address.
func (s *Server) exists(ctx context.Context, g, c, u int) error {
	if _, err := s.db.Group.Get(ctx, g); err != nil {
		return err
	}
	if c != 0 {
		if _, err := s.db.Contact.Get(ctx, c); err != nil {
			return err
		}
	}
	if u != 0 {
		if _, err := s.db.User.Get(ctx, u); err != nil {
			return err
		}
	}
	return nil
}

func (s *Server) deliver(ctx context.Context, rw row, f *os.File, bodyHash string) error {
	m, err := ReadMessage(f, s.cfg.SpoolDir)
	switch {
	case errors.Is(err, ErrTooManyParts):
		s.refused(ctx, rw, ReasonTooManyParts)
		return errParts
	case errors.Is(err, ErrMalformed):
		s.refused(ctx, rw, ReasonMalformed, "err", err)
		return errMalformed
	case err != nil:
		s.log.Error("mail not read", "err", err)
		return errTemporary
	}
	defer m.Close()
	rw.headerFrom = m.From
	// An out-of-office answer must neither post nor bounce (a bounce
	// would start a loop): accepted, dropped, recorded.
	if rw.envelopeFrom == "" || m.AutoReply {
		s.refused(ctx, rw, ReasonAutoReply, "message_id", m.MessageID)
		return nil
	}
	v, err := s.sender(ctx, rw, m.From)
	if err != nil {
		var se *smtp.SMTPError
		if errors.As(err, &se) {
			reason := ReasonSenderMismatch
			if se == errInactive {
				reason = ReasonUserInactive
			}
			s.refused(ctx, rw, reason, "header_from", m.From)
			return err
		}
		s.log.Error("sender not checked", "err", err)
		return errTemporary
	}
	key := m.MessageID
	if key == "" {
		key = "body:" + bodyHash
	}
	sum := sha256.Sum256([]byte(key))
	msgHash := hex.EncodeToString(sum[:])
	dup, err := s.claim(ctx, &rw, msgHash)
	if err != nil {
		if err == errBusy {
			return err
		}
		s.log.Error("mail not recorded", "err", err)
		return errTemporary
	}
	if dup {
		s.log.Info("reply already posted; duplicate accepted without a post", "message_id", m.MessageID, "row", rw.id)
		return nil
	}
	body := StripReply(m.Text)
	if body == "" && len(m.Attachments) == 0 {
		s.refused(ctx, rw, ReasonEmptyReply)
		return errEmpty
	}
	if len([]rune(body)) > maxBody {
		s.refused(ctx, rw, ReasonBodyTooLong)
		return errLong
	}
	vctx := viewer.NewContext(ctx, v)
	g, err := s.db.Group.Get(s.sys(), rw.groupID)
	if err != nil {
		s.refused(ctx, rw, ReasonTemporary, "err", err)
		return errTemporary
	}
	var docIDs []int
	undo := func() {
		for _, id := range docIDs {
			if err := s.docs.Delete(s.sys(), id); err != nil {
				s.log.Error("document of a refused reply not deleted", "document", id, "err", err)
			}
		}
	}
	for _, a := range m.Attachments {
		id, err := s.upload(vctx, g, a)
		if err != nil {
			undo()
			reason, answer := ReasonAttachmentRefused, replyErr(554, smtp.EnhancedCode{5, 6, 1}, "Attachment "+safe(a.Filename)+" refused: "+ascii(partners.ErrorMessage(err), 300))
			switch partners.ErrorCode(err) {
			case partners.ETooLarge:
				reason, answer = ReasonAttachmentTooLarge, replyErr(552, smtp.EnhancedCode{5, 3, 4}, "Attachment "+safe(a.Filename)+" refused: "+ascii(partners.ErrorMessage(err), 300))
			case partners.EInternal:
				s.refused(ctx, rw, ReasonTemporary, "err", err)
				return errTemporary
			}
			s.refused(ctx, rw, reason, "filename", a.Filename, "err", err)
			return answer
		}
		docIDs = append(docIDs, id)
	}
	// The post commits with an idempotency key of the mail: if the
	// process dies after the post but before the row below is marked, a
	// resend of the same mail finds the key and posts nothing.
	pctx, _ := partners.WithIdempotencyKey(vctx, partners.IdempotencyClaim{Scope: replyScope, Key: msgHash, Hash: msgHash,
		ExpiresAt: time.Now().Add(replyKeyTTL), RecordType: "Post"})
	p, err := s.grps.Post(pctx, g.ID, groups.PostInput{Body: body, DocumentIDs: docIDs})
	if errors.Is(err, partners.ErrIdempotencyTaken) {
		undo()
		postID := 0
		if k, kerr := s.db.IdempotencyKey.Query().Where(idempotencykey.Scope(replyScope), idempotencykey.Key(msgHash)).Only(s.sys()); kerr == nil && k.RecordID != nil {
			postID = *k.RecordID
		}
		q := s.db.MailInbound.UpdateOneID(rw.id).SetState(mailinbound.StatePosted).SetReason("")
		if postID != 0 {
			q.SetPostID(postID)
		}
		if err := q.Exec(s.sys()); err != nil {
			s.log.Error("posted reply not marked", "row", rw.id, "err", err)
		}
		s.log.Info("reply posted before a restart; duplicate accepted without a post", "message_id", m.MessageID, "row", rw.id, "post", postID)
		return nil
	}
	if err != nil {
		undo()
		if partners.ErrorCode(err) == partners.EInternal {
			s.refused(ctx, rw, ReasonTemporary, "err", err)
			return errTemporary
		}
		s.refused(ctx, rw, ReasonPostRefused, "err", err)
		return replyErr(554, smtp.EnhancedCode{5, 7, 1}, "The reply could not be posted: "+ascii(partners.ErrorMessage(err), 300))
	}
	// The post has committed; if this update is lost, a resend of the
	// same mail finds the row still "processing" and waits (451) until
	// staleClaim, then meets the post's idempotency key above.
	if err := s.db.MailInbound.UpdateOneID(rw.id).SetState(mailinbound.StatePosted).SetPostID(p.ID).SetReason("").Exec(s.sys()); err != nil {
		s.log.Error("posted reply not marked", "row", rw.id, "post", p.ID, "err", err)
	}
	s.log.Info("reply posted", "group", g.ID, "post", p.ID, "contact", rw.contactID, "user", rw.userID, "documents", len(docIDs), "message_id", m.MessageID)
	return nil
}

// sender checks the header From (and the envelope sender) against the
// e-mail of the contact or user the address names, and returns the
// viewer the reply posts as.
func (s *Server) sender(ctx context.Context, rw row, headerFrom string) (viewer.Viewer, error) {
	allowed := map[string]bool{}
	var v viewer.Viewer
	if rw.contactID != 0 {
		c, err := s.db.Contact.Get(ctx, rw.contactID)
		if err != nil {
			return v, err
		}
		v = viewer.Viewer{Role: viewer.RolePartner, PartnerID: c.PartnerID, ContactID: c.ID, Label: c.Name}
		allowed[fold(c.Email)] = true
	}
	if rw.userID != 0 {
		u, err := s.db.User.Get(ctx, rw.userID)
		if err != nil {
			return v, err
		}
		if !u.Active {
			return v, errInactive
		}
		if rw.contactID != 0 && (u.ContactID == nil || *u.ContactID != rw.contactID) {
			return v, errSender
		}
		if rw.contactID == 0 {
			v = viewer.Viewer{Role: viewer.Role(u.Role), Label: u.Email}
			if u.PartnerID != nil {
				v.PartnerID = *u.PartnerID
			}
			if u.ContactID != nil {
				v.ContactID = *u.ContactID
			}
		}
		v.UserID = u.ID
		allowed[fold(u.Email)] = true
	}
	delete(allowed, "")
	if headerFrom == "" || !allowed[fold(headerFrom)] || (rw.envelopeFrom != "" && !allowed[fold(rw.envelopeFrom)]) {
		return v, errSender
	}
	return v, nil
}

func fold(addr string) string { return strings.ToLower(strings.TrimSpace(addr)) }

// upload stores one attachment as the partner's document, as the
// replying contact, under the upload rules (type, size, quota).
func (s *Server) upload(vctx context.Context, g *ent.Group, a Attachment) (int, error) {
	if g.PartnerID == nil {
		return 0, partners.Invalid("document_ids", "documents are shared in partner groups only")
	}
	f, err := os.Open(a.Path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	in := documents.UploadInput{PartnerID: *g.PartnerID, Kind: document.KindOther, Filename: a.Filename}
	if g.Kind == group.KindPartner {
		in.GroupID = g.ID
	}
	d, err := s.docs.Upload(vctx, in, documents.Body{R: f, Size: a.Size, ClaimedType: a.ContentType})
	if err != nil {
		return 0, err
	}
	return d.ID, nil
}

// claim records the mail under its Message-ID hash before anything is
// posted. dup is a mail already posted; errBusy one being posted now.
// A refused mail sent again is tried again, as is one whose delivery
// stopped half-way more than staleClaim ago.
func (s *Server) claim(ctx context.Context, rw *row, hash string) (dup bool, err error) {
	sys := s.sys()
	q := s.db.MailInbound.Create().SetMessageIDHash(hash).SetState(mailinbound.StateProcessing)
	n, err := s.fill(q, *rw).Save(sys)
	if err == nil {
		rw.id = n.ID
		return false, nil
	}
	if !ent.IsConstraintError(err) {
		return false, err
	}
	old, err := s.db.MailInbound.Query().Where(mailinbound.MessageIDHash(hash)).Only(sys)
	if err != nil {
		return false, err
	}
	switch {
	case old.State == mailinbound.StatePosted:
		rw.id = old.ID
		return true, nil
	case old.State == mailinbound.StateProcessing && s.now().Sub(old.CreatedAt) < staleClaim:
		return false, errBusy
	}
	// Tried again: the old row makes way for a new one, so its
	// created_at says when this attempt began (the refusal before it is
	// in the log). Of two deliveries racing here, one deletes the row.
	k, err := s.db.MailInbound.Delete().Where(mailinbound.ID(old.ID), mailinbound.StateEQ(old.State)).Exec(sys)
	if err != nil {
		return false, err
	}
	if k == 0 {
		return false, errBusy
	}
	n, err = s.fill(s.db.MailInbound.Create().SetMessageIDHash(hash).SetState(mailinbound.StateProcessing), *rw).Save(sys)
	if ent.IsConstraintError(err) {
		return false, errBusy
	}
	if err != nil {
		return false, err
	}
	rw.id = n.ID
	return false, nil
}

func (s *Server) fill(q *ent.MailInboundCreate, rw row) *ent.MailInboundCreate {
	q.SetEnvelopeFrom(clip(rw.envelopeFrom)).SetHeaderFrom(clip(rw.headerFrom)).SetRcpt(clip(rw.rcpt)).SetSize(rw.size)
	if rw.groupID != 0 {
		q.SetGroupID(rw.groupID)
	}
	if rw.contactID != 0 {
		q.SetContactID(rw.contactID)
	}
	if rw.userID != 0 {
		q.SetUserID(rw.userID)
	}
	return q
}

// refused logs a refusal and records it: on the mail's row once it has
// one, else on a row of its own (keyed at random, so it never blocks the
// Message-ID of a later, valid delivery).
func (s *Server) refused(ctx context.Context, rw row, reason string, kv ...any) {
	args := append([]any{"reason", reason, "envelope_from", rw.envelopeFrom, "header_from", rw.headerFrom, "rcpt", rw.rcpt,
		"group", rw.groupID, "contact", rw.contactID, "size", rw.size}, kv...)
	s.log.Warn("reply refused", args...)
	sys := s.sys()
	var err error
	if rw.id != 0 {
		err = s.db.MailInbound.UpdateOneID(rw.id).SetState(mailinbound.StateRefused).SetReason(reason).Exec(sys)
	} else {
		var b [16]byte
		_, _ = rand.Read(b[:])
		sum := sha256.Sum256(append([]byte("refused:"), b[:]...))
		err = s.fill(s.db.MailInbound.Create().SetMessageIDHash(hex.EncodeToString(sum[:])).SetState(mailinbound.StateRefused).SetReason(reason), rw).Exec(sys)
	}
	if err != nil {
		s.log.Error("refusal not recorded", "reason", reason, "err", err)
	}
}

// clip keeps an address within its column.
func clip(s string) string {
	if len(s) <= 254 {
		return s
	}
	return strings.ToValidUTF8(s[:254], "")
}

// safe quotes a filename for an SMTP reply line.
func safe(name string) string { return `"` + ascii(name, 80) + `"` }

// ascii keeps text printable on one SMTP reply line, which is ASCII, and
// at most n bytes.
func ascii(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r >= 0x7f || r == '"' {
			return '?'
		}
		return r
	}, s)
	if len(s) > n {
		s = s[:n]
	}
	return s
}

// ReasonText is a stored refusal reason as a catalogue message, for the
// admin to read in their language.
func ReasonText(reason string) i18n.Message { return i18n.M(reasonKeys[reason]) }

var reasonKeys = map[string]string{
	ReasonBadToken:           "reason.reply_bad_token",
	ReasonTooLarge:           "reason.reply_too_large",
	ReasonMalformed:          "reason.reply_malformed",
	ReasonTooManyParts:       "reason.reply_too_many_parts",
	ReasonAutoReply:          "reason.reply_auto_reply",
	ReasonSenderMismatch:     "reason.reply_sender_mismatch",
	ReasonUserInactive:       "reason.reply_user_inactive",
	ReasonEmptyReply:         "reason.reply_empty_reply",
	ReasonBodyTooLong:        "reason.reply_body_too_long",
	ReasonAttachmentRefused:  "reason.reply_attachment_refused",
	ReasonAttachmentTooLarge: "reason.reply_attachment_too_large",
	ReasonPostRefused:        "reason.reply_post_refused",
	ReasonTemporary:          "reason.reply_temporary_failure",
}
