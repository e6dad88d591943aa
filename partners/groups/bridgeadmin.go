package groups

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/bridge"
	"github.com/tierlink/tierlink/ent/delivery"
	"github.com/tierlink/tierlink/ent/post"
	"github.com/tierlink/tierlink/ent/viewer"
	"github.com/tierlink/tierlink/partners"
	"github.com/tierlink/tierlink/partners/bridges"
	"github.com/tierlink/tierlink/partners/i18n"
)

// CreateBridge connects a group to an outside chat. The URL is checked
// against internal addresses; a webhook bridge without a secret gets a
// generated one, shown in this answer only.
func (s *Service) CreateBridge(ctx context.Context, groupID int, in BridgeInput) (Bridge, error) {
	if err := partners.Validate(in); err != nil {
		return Bridge{}, err
	}
	if v, _ := viewer.FromContext(ctx); !v.CanEdit() {
		return Bridge{}, partners.Errorf(partners.EForbidden, "your role may not configure bridges")
	}
	if _, err := s.client.Group.Get(ctx, groupID); err != nil {
		return Bridge{}, err
	}
	if err := s.guard.CheckURL(ctx, in.URL); err != nil {
		return Bridge{}, urlRefused(ctx, err)
	}
	generated := ""
	if in.Kind == bridges.Webhook {
		if in.Secret == "" {
			var k [24]byte
			_, _ = rand.Read(k[:])
			in.Secret = "whsec_" + base64.StdEncoding.EncodeToString(k[:])
			generated = in.Secret
		}
		if _, err := bridges.SignWebhook(in.Secret, "x", "0", nil); err != nil {
			slog.InfoContext(ctx, "bridge secret refused", "err", err)
			return Bridge{}, partners.InvalidBecause("secret", partners.R("bridge_secret_not_base64"))
		}
	}
	rate := in.RatePerMinute
	if rate == 0 {
		rate = bridges.DefaultRate(in.Kind)
	}
	var b *ent.Bridge
	err := partners.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		var err error
		if b, err = tx.Client().Bridge.Create().SetGroupID(groupID).SetKind(in.Kind).SetName(in.Name).SetURL(in.URL).
			SetSecret(in.Secret).SetRatePerMinute(rate).SetMirrorPosts(in.MirrorPosts == nil || *in.MirrorPosts).
			SetMirrorStatus(in.MirrorStatus == nil || *in.MirrorStatus).Save(ctx); err != nil {
			return err
		}
		return partners.Audit(ctx, tx.Client(), partners.AuditRecord{Action: "bridge.create", EntityType: "bridge", EntityID: b.ID,
			After: map[string]any{"group_id": groupID, "kind": in.Kind, "name": in.Name}})
	})
	if err != nil {
		return Bridge{}, err
	}
	out, err := s.toBridge(ctx, b)
	out.Secret = generated
	return out, err
}

// urlRefused is the field error of a refused bridge URL: a catalogue
// reason per refusal, in the reader's words; the resolver's own error
// and the setting that allows internal networks are for the log.
func urlRefused(ctx context.Context, err error) error {
	slog.InfoContext(ctx, "bridge url refused", "err", err)
	var ue *bridges.URLError
	if !errors.As(err, &ue) {
		return partners.InvalidBecause("url", partners.R("bridge_url_not_absolute"))
	}
	var m i18n.Message
	switch ue.Why {
	case bridges.URLNotHTTP:
		m = partners.R("bridge_url_not_http")
	case bridges.URLUserinfo:
		m = partners.R("bridge_url_userinfo")
	case bridges.URLUnresolved:
		m = partners.R("bridge_url_unresolved", "Host", ue.Host)
	case bridges.URLInternal:
		m = partners.R("bridge_url_internal", "Host", ue.Host)
	default:
		m = partners.R("bridge_url_not_absolute")
	}
	return partners.InvalidBecause("url", m)
}

// Bridges lists a group's bridges with their outbox counts, oldest
// first, a page at a time; the cursor is the last bridge shown.
func (s *Service) Bridges(ctx context.Context, groupID int, f BridgeFilter) (BridgeList, error) {
	if err := partners.Validate(f); err != nil {
		return BridgeList{}, err
	}
	after, err := partners.BeforeID(f.Cursor)
	if err != nil {
		return BridgeList{}, err
	}
	if _, err := s.client.Group.Get(ctx, groupID); err != nil {
		return BridgeList{}, err
	}
	q := s.client.Bridge.Query().Where(bridge.GroupID(groupID))
	if after != 0 {
		q.Where(bridge.IDGT(after))
	}
	limit := partners.Limit(f.Limit, 50)
	rows, err := q.Order(ent.Asc(bridge.FieldID)).Limit(limit + 1).All(ctx)
	if err != nil {
		return BridgeList{}, err
	}
	var out BridgeList
	rows, out.NextCursor = partners.Trim(rows, limit, func(b *ent.Bridge) int { return b.ID })
	out.Items = make([]Bridge, 0, len(rows))
	for _, b := range rows {
		bb, err := s.toBridge(ctx, b)
		if err != nil {
			return BridgeList{}, err
		}
		out.Items = append(out.Items, bb)
	}
	return out, nil
}

// Bridge returns one bridge.
func (s *Service) Bridge(ctx context.Context, id int) (Bridge, error) {
	b, err := s.client.Bridge.Get(ctx, id)
	if err != nil {
		return Bridge{}, err
	}
	return s.toBridge(ctx, b)
}

func (s *Service) toBridge(ctx context.Context, b *ent.Bridge) (Bridge, error) {
	counts := map[delivery.State]int{}
	var rows []struct {
		State delivery.State `json:"state"`
		Count int            `json:"count"`
	}
	if err := s.client.Delivery.Query().Where(delivery.BridgeID(b.ID), delivery.StateIn(delivery.StatePending, delivery.StateDead)).
		GroupBy(delivery.FieldState).Aggregate(ent.Count()).Scan(ctx, &rows); err != nil {
		return Bridge{}, err
	}
	for _, r := range rows {
		counts[r.State] = r.Count
	}
	return Bridge{ID: b.ID, GroupID: b.GroupID, Kind: b.Kind, Name: b.Name, URL: maskURL(b.URL), HasSecret: b.Secret != "",
		Enabled: b.Enabled, MirrorPosts: b.MirrorPosts, MirrorStatus: b.MirrorStatus, RatePerMinute: b.RatePerMinute,
		Pending: counts[delivery.StatePending], Dead: counts[delivery.StateDead], CreatedAt: b.CreatedAt}, nil
}

// maskURL shows where a bridge points without its credentials: scheme,
// host and the start of the path.
func maskURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "…"
	}
	p := u.Path
	if len(p) > 12 {
		p = p[:12] + "…"
	}
	if u.RawQuery != "" {
		p += "?…"
	}
	return u.Scheme + "://" + u.Host + p
}

// UpdateBridge changes a bridge (pausing it keeps its outbox).
func (s *Service) UpdateBridge(ctx context.Context, id int, p BridgePatch) (Bridge, error) {
	if err := partners.Validate(p); err != nil {
		return Bridge{}, err
	}
	b, err := s.client.Bridge.Get(ctx, id)
	if err != nil {
		return Bridge{}, err
	}
	u := s.client.Bridge.UpdateOne(b)
	if p.Name != nil {
		u.SetName(*p.Name)
	}
	if p.Enabled != nil {
		u.SetEnabled(*p.Enabled)
	}
	if p.MirrorPosts != nil {
		u.SetMirrorPosts(*p.MirrorPosts)
	}
	if p.MirrorStatus != nil {
		u.SetMirrorStatus(*p.MirrorStatus)
	}
	if p.RatePerMinute != nil {
		u.SetRatePerMinute(*p.RatePerMinute)
	}
	if b, err = u.Save(ctx); err != nil {
		return Bridge{}, err
	}
	s.Changed(b.GroupID)
	return s.toBridge(ctx, b)
}

// SendTest queues a test message to one bridge, through the outbox like
// any other, so the delivery log shows whether the far end took it.
func (s *Service) SendTest(ctx context.Context, id int) (Delivery, error) {
	v, _ := viewer.FromContext(ctx)
	if !v.CanEdit() {
		return Delivery{}, partners.Errorf(partners.EForbidden, "your role may not configure bridges")
	}
	b, err := s.client.Bridge.Get(ctx, id)
	if err != nil {
		return Delivery{}, err
	}
	g, err := s.client.Group.Get(ctx, b.GroupID)
	if err != nil {
		return Delivery{}, err
	}
	// In the group's language, like everything its bridges send.
	actor := newPeople(system(ctx), s.client).author(&v.UserID, v.Label)
	text := i18n.For(g.Language).T("chat.test_message", map[string]any{"Actor": actor, "Time": s.now().UTC().Format(time.RFC3339)})
	d, err := bridges.EnqueueTo(ctx, s.client, b.ID, bridges.Outgoing{GroupID: g.ID, Title: g.Name, Text: text,
		Link: s.link(fmt.Sprintf("/groups/%d", g.ID))})
	if err != nil {
		return Delivery{}, err
	}
	s.Changed(g.ID)
	return toDelivery(d), nil
}

// Deliveries pages a bridge's delivery log, newest first.
func (s *Service) Deliveries(ctx context.Context, bridgeID int, f DeliveryFilter) (DeliveryPage, error) {
	if err := partners.Validate(f); err != nil {
		return DeliveryPage{}, err
	}
	if _, err := s.client.Bridge.Get(ctx, bridgeID); err != nil {
		return DeliveryPage{}, err
	}
	q := s.client.Delivery.Query().Where(delivery.BridgeID(bridgeID))
	if f.State != "" {
		q.Where(delivery.StateEQ(f.State))
	}
	if f.PostID != 0 {
		q.Where(delivery.PostID(f.PostID))
	}
	before, err := partners.BeforeID(f.Cursor)
	if err != nil {
		return DeliveryPage{}, err
	}
	if before != 0 {
		q.Where(delivery.IDLT(before))
	}
	limit := partners.Limit(f.Limit, 50)
	rows, err := q.Order(ent.Desc(delivery.FieldID)).Limit(limit + 1).All(ctx)
	if err != nil {
		return DeliveryPage{}, err
	}
	var p DeliveryPage
	rows, p.NextCursor = partners.Trim(rows, limit, func(d *ent.Delivery) int { return d.ID })
	p.Items = make([]Delivery, 0, len(rows))
	shown := s.deliveryText(ctx)
	for _, d := range rows {
		out := toDelivery(d)
		out.Text = shown(d)
		p.Items = append(p.Items, out)
	}
	return p, nil
}

// deliveryText shows what a delivery says with people by name: a post's
// delivery is its post as the bridge would send it now (in the group's
// language, the author and actors named), any other (a test message) is
// the stored text with addresses replaced by names. What was sent stays
// in the outbox as it was.
func (s *Service) deliveryText(ctx context.Context) func(*ent.Delivery) string {
	sys := system(ctx)
	pp := newPeople(sys, s.client)
	groups := map[int]*ent.Group{}
	return func(d *ent.Delivery) string {
		if d.PostID == nil {
			return pp.text(d.Text)
		}
		r, err := s.client.Post.Get(sys, *d.PostID)
		if err != nil {
			return pp.text(d.Text)
		}
		g := groups[r.GroupID]
		if g == nil {
			if g, err = s.client.Group.Get(sys, r.GroupID); err != nil {
				return pp.text(d.Text)
			}
			groups[r.GroupID] = g
		}
		text, err := postText(i18n.WithLanguage(sys, g.Language), s.client, pp, r)
		if err != nil {
			return pp.text(d.Text)
		}
		if r.Kind == post.KindMessage {
			text = pp.author(r.AuthorID, r.Author) + ": " + text
			if n := len(r.DocumentIds); n > 0 {
				text = i18n.For(g.Language).N("feed.documents", n, map[string]any{"Text": text})
			}
		}
		return text
	}
}

// RetryDelivery puts a dead letter back in the outbox for a fresh round
// of attempts; only admins may.
func (s *Service) RetryDelivery(ctx context.Context, id int) (Delivery, error) {
	if v, _ := viewer.FromContext(ctx); !v.IsAdmin() {
		return Delivery{}, partners.Errorf(partners.EForbidden, "only administrators may retry dead letters")
	}
	d, err := s.client.Delivery.Get(ctx, id)
	if err != nil {
		return Delivery{}, err
	}
	if d.State != delivery.StateDead {
		return Delivery{}, partners.Fail(partners.EConflict, i18n.M("problem.retry_not_dead").With("State", d.State))
	}
	if d, err = s.client.Delivery.UpdateOne(d).SetState(delivery.StatePending).SetAttempts(0).SetNextAttemptAt(s.now()).Save(ctx); err != nil {
		return Delivery{}, err
	}
	s.Changed(d.GroupID)
	return toDelivery(d), nil
}

func toDelivery(d *ent.Delivery) Delivery {
	return Delivery{ID: d.ID, BridgeID: d.BridgeID, PostID: d.PostID, MsgID: d.MsgID, Text: d.Text, State: d.State,
		Attempts: d.Attempts, NextAttemptAt: d.NextAttemptAt, LastError: d.LastError, SentAt: d.SentAt, BatchID: d.BatchID, CreatedAt: d.CreatedAt}
}
