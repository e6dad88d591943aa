package notify

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/digestitem"
	"github.com/tierlink/tierlink/ent/mailoutbox"
	"github.com/tierlink/tierlink/ent/post"
	"github.com/tierlink/tierlink/partners"
	"github.com/tierlink/tierlink/partners/i18n"
	"github.com/tierlink/tierlink/partners/mail"
)

// DigestHour is the local hour a user's daily digest goes out.
const DigestHour = 8

// maxDigestItems is how many notices a digest lists one by one.
const maxDigestItems = 50

// DigestResult says what a digest pass did.
type DigestResult struct {
	// Sent is how many digests were queued; Items how many notices they
	// carried.
	Sent, Items int
}

// Message is the pass's report for the job ledger.
func (r DigestResult) Message() i18n.Lines {
	return i18n.Lines{i18n.N("notify.job_report", r.Sent).With("Items", r.Items)}
}

// Digests queues the daily digest of every user with notices waiting
// whose local time (their zone, else their partner's, else the
// company's) is 08:00-08:59 at now. Each user gets at most one a day: the
// notices are claimed with the day's key in the digest's transaction, and
// a key already used today holds the rest until tomorrow.
func (s *Service) Digests(ctx context.Context, now time.Time) (DigestResult, error) {
	var res DigestResult
	if s.out == nil {
		return res, nil
	}
	sys := sysCtx(ctx)
	var uids []int
	if err := s.db.DigestItem.Query().Where(digestitem.DigestMessageIDIsNil()).Unique(true).
		Select(digestitem.FieldUserID).Scan(sys, &uids); err != nil {
		return res, err
	}
	for _, uid := range uids {
		u, err := s.db.User.Get(sys, uid)
		if err != nil {
			return res, err
		}
		local := now.In(s.zoneOf(sys, u))
		if local.Hour() != DigestHour {
			continue
		}
		key := fmt.Sprintf("digest:%d:%s", uid, local.Format("2006-01-02"))
		n := 0
		err = partners.WithTx(sys, s.db, func(tx *ent.Tx) error {
			var err error
			n, err = s.digest(sys, tx.Client(), u, key)
			return err
		})
		if err != nil {
			return res, fmt.Errorf("digest of user %d: %w", uid, err)
		}
		if n > 0 {
			res.Sent++
			res.Items += n
		}
	}
	if res.Sent > 0 {
		s.out.Wake()
	}
	return res, nil
}

// zoneOf is the zone a user's day is counted in.
func (s *Service) zoneOf(ctx context.Context, u *ent.User) *time.Location {
	name := u.TimeZone
	if name == "" && u.PartnerID != nil {
		if p, err := s.db.Partner.Get(ctx, *u.PartnerID); err == nil {
			name = p.TimeZone
		}
	}
	if z, err := time.LoadLocation(name); name != "" && err == nil {
		return z
	}
	if s.Loc != nil {
		return s.Loc
	}
	return time.UTC
}

// digest claims a user's waiting notices under key and queues one mail
// listing them; it returns how many it claimed (0 when today's digest
// was already sent).
func (s *Service) digest(ctx context.Context, c *ent.Client, u *ent.User, key string) (int, error) {
	done, err := c.DigestItem.Query().Where(digestitem.UserID(u.ID), digestitem.DigestMessageID(key)).Exist(ctx)
	if err != nil || done {
		return 0, err
	}
	n, err := c.DigestItem.Update().Where(digestitem.UserID(u.ID), digestitem.DigestMessageIDIsNil()).SetDigestMessageID(key).Save(ctx)
	if err != nil || n == 0 {
		return 0, err
	}
	if !u.Active || u.EmailBouncingAt != nil || u.Email == "" {
		return 0, nil // claimed, so they do not pile up; nothing to send
	}
	items, err := c.DigestItem.Query().Where(digestitem.UserID(u.ID), digestitem.DigestMessageID(key)).
		Order(ent.Asc(digestitem.FieldID)).All(ctx)
	if err != nil {
		return 0, err
	}
	lang, err := userLang(ctx, c, u, "")
	if err != nil {
		return 0, err
	}
	var paras []i18n.Message
	for i, it := range items {
		if i == maxDigestItems {
			paras = append(paras, i18n.N("notify.digest_more", len(items)-i))
			break
		}
		p, err := c.Post.Query().Where(post.ID(it.PostID)).Only(ctx)
		if ent.IsNotFound(err) {
			continue
		}
		if err != nil {
			return 0, err
		}
		paras = append(paras, i18n.M("notify.digest_item").With("Kind", KindName(it.Kind)).With("Text", summary(p)).
			With("URL", s.link(fmt.Sprintf("/groups/%d#post-%d", p.GroupID, p.ID))))
	}
	unsub := s.link("/mail/unsubscribe/" + s.out.Keys().Sign("unsub", "u", strconv.Itoa(u.ID), kindAll))
	ct := mail.Content{Subject: i18n.N("notify.digest_subject", len(items)), Title: i18n.M("notify.digest_title"), Paras: paras,
		Buttons: []mail.Button{{Label: i18n.M("notify.button_open"), URL: s.link("/")}},
		Footer: []i18n.Message{i18n.M("notify.footer_user").With("URL", s.link("/settings/notifications")),
			i18n.M("notify.footer_unsubscribe").With("URL", unsub)}}
	_, err = s.out.Enqueue(ctx, c, mail.Message{Kind: mailoutbox.KindDigest, To: mail.Recipient{Addr: u.Email, Name: u.Name, Lang: lang, UserID: u.ID},
		Content: ct, Unsubscribe: unsub})
	return len(items), err
}

// summary is one line of a post for a digest: its first line, or the
// start of a message.
func summary(p *ent.Post) i18n.Message {
	if ls, err := i18n.DecodeLines(p.Message); err == nil && len(ls) > 0 {
		return ls[0]
	}
	body := []rune(p.Body)
	if len(body) > 200 {
		body = append(body[:200], '…')
	}
	return i18n.M("notify.text").With("Text", string(body))
}
