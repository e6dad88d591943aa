package notify

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"time"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/idempotencykey"
	"github.com/tierlink/tierlink/ent/post"
	"github.com/tierlink/tierlink/ent/viewer"
	"github.com/tierlink/tierlink/partners"
	"github.com/tierlink/tierlink/partners/groups"
	"github.com/tierlink/tierlink/partners/i18n"
)

// actionScope is the idempotency scope of one-click actions: a link's
// nonce is recorded as a key in the transaction of its action, so it
// works once.
const actionScope = "mail-action"

// ActionLink is what a one-click action token says.
type ActionLink struct {
	UserID, PostID int
	Action         string
	Seq            int64
	Role           string
	Expires        time.Time
	Nonce          string
}

// ActionView is a one-click link as its confirmation page shows it.
type ActionView struct {
	Link ActionLink
	// UserName is whom the link is for.
	UserName string
	// Card is the card as that user sees it, in the reader's language.
	Card groups.Post
	// Refusal says why the link no longer works (used, expired, the
	// card settled or changed); nil while it works.
	Refusal *partners.Error
}

// ActionInput is the confirmation form of a one-click action: a reason,
// for a rejection.
type ActionInput struct {
	Reason string `json:"reason" validate:"max=1000"`
}

func badLink() error { return partners.Fail(partners.ENotFound, i18n.M("notify.link_invalid")) }

// parseAction checks a token's signature and reads it.
func (s *Service) parseAction(tok string) (ActionLink, error) {
	if s.out == nil {
		return ActionLink{}, badLink()
	}
	f, err := s.out.Keys().Verify("act", tok)
	if err != nil || len(f) != 7 {
		return ActionLink{}, badLink()
	}
	uid, err1 := strconv.Atoi(f[0])
	pid, err2 := strconv.Atoi(f[1])
	seq, err3 := strconv.ParseInt(f[3], 10, 64)
	exp, err4 := strconv.ParseInt(f[5], 10, 64)
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		return ActionLink{}, badLink()
	}
	return ActionLink{UserID: uid, PostID: pid, Action: f[2], Seq: seq, Role: f[4], Expires: time.Unix(exp, 0), Nonce: f[6]}, nil
}

// Action reads a one-click link for its confirmation page; it changes
// nothing, so a mail scanner that fetches the link does no harm. A link
// that no longer works is shown with its Refusal; one that never worked,
// or names a card its user cannot see, is not found.
func (s *Service) Action(ctx context.Context, tok string) (ActionView, error) {
	link, err := s.parseAction(tok)
	if err != nil {
		return ActionView{}, err
	}
	v, name, err := s.linkViewer(ctx, link)
	if err != nil {
		return ActionView{}, err
	}
	card, err := s.grps.Card(viewer.NewContext(ctx, v), link.PostID)
	if err != nil {
		return ActionView{}, err
	}
	view := ActionView{Link: link, UserName: name, Card: card}
	if err := s.refusal(ctx, link, card); err != nil {
		view.Refusal = err
	}
	return view, nil
}

// Act takes a one-click link's action, as the link's user, through the
// same card service the portal's buttons use. The link's nonce commits
// with the action, so a second use is refused even if it races the first.
func (s *Service) Act(ctx context.Context, tok string, in ActionInput) (groups.ActionResult, error) {
	if err := partners.Validate(in); err != nil {
		return groups.ActionResult{}, err
	}
	view, err := s.Action(ctx, tok)
	if err != nil {
		return groups.ActionResult{}, err
	}
	if view.Refusal != nil {
		return groups.ActionResult{}, view.Refusal
	}
	link := view.Link
	v, _, err := s.linkViewer(ctx, link)
	if err != nil {
		return groups.ActionResult{}, err
	}
	sum := sha256.Sum256([]byte(tok))
	actx, _ := partners.WithIdempotencyKey(viewer.NewContext(ctx, v), partners.IdempotencyClaim{Scope: actionScope, Key: link.Nonce,
		Hash: hex.EncodeToString(sum[:]), ExpiresAt: link.Expires, RecordType: ent.TypePost, RecordID: link.PostID})
	res, err := s.grps.Act(actx, link.PostID, groups.ActionInput{Action: link.Action, Reason: in.Reason})
	if errors.Is(err, partners.ErrIdempotencyTaken) {
		return groups.ActionResult{}, partners.Fail(partners.EConflict, i18n.M("notify.link_used"))
	}
	if err == nil {
		s.log.InfoContext(ctx, "mail action taken", "user", link.UserID, "card", link.PostID, "action", link.Action)
	}
	return res, err
}

// linkViewer is the viewer a link acts as: its user, still active and in
// the role the link was made for.
func (s *Service) linkViewer(ctx context.Context, link ActionLink) (viewer.Viewer, string, error) {
	u, err := s.db.User.Get(sysCtx(ctx), link.UserID)
	if ent.IsNotFound(err) {
		return viewer.Viewer{}, "", badLink()
	}
	if err != nil {
		return viewer.Viewer{}, "", err
	}
	if !u.Active || string(u.Role) != link.Role {
		return viewer.Viewer{}, "", partners.Fail(partners.EForbidden, i18n.M("notify.link_user_changed"))
	}
	v := viewer.Viewer{UserID: u.ID, Role: viewer.Role(u.Role), Label: u.Email, RequestID: "mail-action"}
	if r, ok := viewer.FromContext(ctx); ok {
		v.RequestID = r.RequestID
	}
	if u.PartnerID != nil {
		v.PartnerID = *u.PartnerID
	}
	if u.ContactID != nil {
		v.ContactID = *u.ContactID
	}
	return v, u.Name, nil
}

// refusal is why a link no longer works, or nil.
func (s *Service) refusal(ctx context.Context, link ActionLink, card groups.Post) *partners.Error {
	used, err := s.db.IdempotencyKey.Query().Where(idempotencykey.Scope(actionScope), idempotencykey.Key(link.Nonce)).Exist(sysCtx(ctx))
	switch {
	case err != nil:
		return partners.Errorf(partners.EInternal, "reading the link's use: %v", err)
	case used:
		return partners.Fail(partners.EConflict, i18n.M("notify.link_used"))
	case !s.now().Before(link.Expires):
		return partners.Fail(partners.EConflict, i18n.M("notify.link_expired"))
	case card.Card != nil && card.Card.State == post.CardStateDone:
		return doneRefusal(card.Card)
	case card.Seq != link.Seq:
		return partners.Fail(partners.EConflict, i18n.M("notify.link_changed"))
	}
	return nil
}

// doneRefusal is "already approved by X at T" for a settled card, in
// the words the portal's card buttons use.
func doneRefusal(c *groups.Card) *partners.Error {
	key := "problem.card_done_cancelled"
	switch c.Outcome {
	case "answered":
		key = "problem.card_done_answered"
	case "approved":
		key = "problem.card_done_approved"
	case "rejected":
		key = "problem.card_done_rejected"
	case "received":
		key = "problem.card_done_received"
	}
	when := ""
	if c.ActedAt != nil {
		when = c.ActedAt.UTC().Format("2006-01-02 15:04 MST")
	}
	return partners.Fail(partners.EConflict, i18n.M(key).With("Actor", c.ActedBy).With("Time", when))
}

// LinkLanguage is the language of the user a one-click link is for (their
// saved setting), or "" for a bad link or a user with none: the link's
// page greets them in the language their mail was in.
func (s *Service) LinkLanguage(ctx context.Context, tok string) string {
	link, err := s.parseAction(tok)
	if err != nil {
		return ""
	}
	u, err := s.db.User.Get(viewer.NewContext(ctx, viewer.System("notify")), link.UserID)
	if err != nil {
		return ""
	}
	return u.Locale
}
