package bridges

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/bridge"
	"github.com/tierlink/tierlink/ent/delivery"
	"github.com/tierlink/tierlink/ent/group"
	"github.com/tierlink/tierlink/ent/viewer"
)

// Outgoing is a post to mirror, as the outbox stores it.
type Outgoing struct {
	GroupID int
	PostID  int // 0 for a test message
	Status  bool
	Title   string
	Text    string
	Link    string
}

// Enqueue writes one delivery per enabled bridge of the group that
// mirrors this kind of post, through c — the client of the transaction
// that makes the post, so a post and its deliveries exist together or
// not at all. It returns how many it wrote.
func Enqueue(ctx context.Context, c *ent.Client, o Outgoing) (int, error) {
	sys := viewer.NewContext(ctx, viewer.System("outbox"))
	q := c.Bridge.Query().Where(bridge.GroupID(o.GroupID), bridge.Enabled(true))
	if o.Status {
		q.Where(bridge.MirrorStatus(true))
	} else {
		q.Where(bridge.MirrorPosts(true))
	}
	bs, err := q.Order(ent.Asc(bridge.FieldID)).All(sys)
	if err != nil {
		return 0, err
	}
	for _, b := range bs {
		if _, err := enqueueOne(sys, c, b.ID, o); err != nil {
			return 0, err
		}
	}
	return len(bs), nil
}

// EnqueueTo writes one delivery to one bridge (a test message) and
// returns it.
func EnqueueTo(ctx context.Context, c *ent.Client, bridgeID int, o Outgoing) (*ent.Delivery, error) {
	return enqueueOne(viewer.NewContext(ctx, viewer.System("outbox")), c, bridgeID, o)
}

func enqueueOne(ctx context.Context, c *ent.Client, bridgeID int, o Outgoing) (*ent.Delivery, error) {
	q := c.Delivery.Create().SetBridgeID(bridgeID).SetGroupID(o.GroupID).SetMsgID(NewMessageID()).
		SetTitle(truncate(o.Title, 300)).SetText(o.Text).SetLink(o.Link).SetNextAttemptAt(time.Now())
	if o.PostID != 0 {
		q.SetPostID(o.PostID)
	}
	return q.Save(ctx)
}

// NewMessageID returns a fresh webhook-id.
func NewMessageID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return "msg_" + hex.EncodeToString(b[:])
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }

// MaxAttempts is how often a message is tried before it becomes a dead
// letter, which with Backoff spans about 80 minutes.
const MaxAttempts = 15

// Backoff is the wait after the nth failed attempt: 5 s doubling to a
// cap of 10 minutes (5, 10, 20, 40, 80, 160, 320, 600, 600, … s), with
// ±10 % jitter so that bridges failing together do not retry together.
func Backoff(attempt int) time.Duration {
	d := 5 * time.Second
	for i := 1; i < attempt && d < 10*time.Minute; i++ {
		d *= 2
	}
	d = min(d, 10*time.Minute)
	jitter := time.Duration(mrand.Int64N(int64(d/5))) - d/10
	return d + jitter
}

// Dispatcher delivers the outbox. Several instances may run one each: a
// bridge is leased to one instance at a time, which sends its messages
// in order, so order within a group holds across a crash or a failover.
type Dispatcher struct {
	client *ent.Client
	http   *http.Client
	log    *slog.Logger
	// Instance names this process in leases.
	Instance string
	// Lease is how long a bridge stays claimed without renewal; after a
	// crash, another instance takes over once it runs out.
	Lease time.Duration
	// Poll is how often the outbox is looked at without a wake-up.
	Poll time.Duration
	// Backoff is the wait after a failed attempt (Backoff by default).
	Backoff func(attempt int) time.Duration
	// Window is the period a bridge's rate applies to (a minute, as the
	// platforms count), and the pause after the far end says "too fast"
	// without a Retry-After.
	Window time.Duration
	now    func() time.Time
	wake   chan struct{}

	mu   sync.Mutex
	sent map[int][]time.Time // per bridge: sends in the last minute
}

// NewDispatcher returns a dispatcher sending through guard's client.
func NewDispatcher(client *ent.Client, guard Guard, log *slog.Logger) *Dispatcher {
	host, _ := os.Hostname()
	return &Dispatcher{client: client, http: guard.Client(15 * time.Second), log: log,
		Instance: host + "-" + NewMessageID()[4:12], Lease: 15 * time.Second, Poll: time.Second,
		Backoff: Backoff, Window: time.Minute, now: time.Now, wake: make(chan struct{}, 1), sent: map[int][]time.Time{}}
}

// Wake makes the dispatcher look at the outbox now.
func (d *Dispatcher) Wake() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Run delivers until ctx ends, then returns once in-flight sends finish.
func (d *Dispatcher) Run(ctx context.Context) {
	t := time.NewTicker(d.Poll)
	defer t.Stop()
	for {
		if _, err := d.RunOnce(ctx); err != nil && ctx.Err() == nil {
			d.log.Error("outbox pass failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-d.wake:
		}
	}
}

// RunOnce makes one pass over the bridges with due messages and returns
// how many messages went out.
func (d *Dispatcher) RunOnce(ctx context.Context) (int, error) {
	sys := viewer.NewContext(ctx, viewer.System("outbox"))
	var ids []int
	if err := d.client.Delivery.Query().Where(delivery.StateEQ(delivery.StatePending), delivery.NextAttemptAtLTE(d.now())).
		Unique(true).Select(delivery.FieldBridgeID).Scan(sys, &ids); err != nil {
		return 0, err
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		total int
		first error
	)
	sem := make(chan struct{}, 4)
	for _, id := range ids {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			n, err := d.drain(sys, id)
			mu.Lock()
			total += n
			if err != nil && first == nil {
				first = err
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	return total, first
}

// claim leases bridge id to this instance, or reports that another
// instance holds it.
func (d *Dispatcher) claim(ctx context.Context, id int) (bool, error) {
	now := d.now()
	n, err := d.client.Bridge.Update().Where(bridge.ID(id),
		bridge.Or(bridge.LeaseUntilIsNil(), bridge.LeaseUntilLT(now), bridge.LeaseOwner(d.Instance))).
		SetLeaseOwner(d.Instance).SetLeaseUntil(now.Add(d.Lease)).Save(ctx)
	return n == 1, err
}

func (d *Dispatcher) release(ctx context.Context, id int) {
	now := d.now()
	if err := d.client.Bridge.Update().Where(bridge.ID(id), bridge.LeaseOwner(d.Instance)).
		SetLeaseUntil(now).Exec(context.WithoutCancel(ctx)); err != nil {
		d.log.Warn("outbox: releasing a bridge lease", "bridge_id", id, "err", err)
	}
}

func (d *Dispatcher) drain(ctx context.Context, id int) (int, error) {
	ok, err := d.claim(ctx, id)
	if err != nil || !ok {
		return 0, err
	}
	defer d.release(ctx, id)
	sentTotal := 0
	renewed := d.now()
	for ctx.Err() == nil {
		if d.now().Sub(renewed) > d.Lease/3 {
			if ok, err := d.claim(ctx, id); err != nil || !ok {
				return sentTotal, err
			}
			renewed = d.now()
		}
		b, err := d.client.Bridge.Get(ctx, id)
		if err != nil {
			return sentTotal, err
		}
		now := d.now()
		if !b.Enabled || (b.PausedUntil != nil && b.PausedUntil.After(now)) {
			return sentTotal, nil
		}
		rows, err := d.client.Delivery.Query().Where(delivery.BridgeID(id), delivery.StateEQ(delivery.StatePending)).
			Order(ent.Asc(delivery.FieldID)).Limit(100).All(ctx)
		if err != nil {
			return sentTotal, err
		}
		if len(rows) == 0 || rows[0].NextAttemptAt.After(now) {
			return sentTotal, nil
		}
		budget := d.budget(b, now)
		if budget <= 0 {
			return sentTotal, nil
		}
		batch := rows[:1]
		if len(rows) > budget {
			batch = d.merge(b, rows, now)
		}
		if err := d.send(ctx, b, batch); err != nil {
			return sentTotal, err
		}
		sentTotal += len(batch)
	}
	return sentTotal, ctx.Err()
}

// budget is how many more messages the bridge may take this minute.
func (d *Dispatcher) budget(b *ent.Bridge, now time.Time) int {
	if b.RatePerMinute <= 0 {
		return 1 << 30
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	ts := d.sent[b.ID]
	i := 0
	for i < len(ts) && now.Sub(ts[i]) >= d.Window {
		i++
	}
	d.sent[b.ID] = ts[i:]
	return b.RatePerMinute - len(ts[i:])
}

func (d *Dispatcher) spend(id int, now time.Time) {
	d.mu.Lock()
	d.sent[id] = append(d.sent[id], now)
	d.mu.Unlock()
}

// merge takes as many due messages from the head as go out whole in one
// message, at most 50.
func (d *Dispatcher) merge(b *ent.Bridge, rows []*ent.Delivery, now time.Time) []*ent.Delivery {
	n := 1
	for n < len(rows) && n < 50 && !rows[n].NextAttemptAt.After(now) {
		if !Fits(b.Kind, message(rows[:n+1])) {
			break
		}
		n++
	}
	return rows[:n]
}

func message(rows []*ent.Delivery) Message {
	item := func(r *ent.Delivery) Message {
		return Message{ID: r.MsgID, Title: r.Title, Text: r.Text, Link: r.Link, Time: r.CreatedAt}
	}
	if len(rows) == 1 {
		return item(rows[0])
	}
	m := Message{ID: "batch_" + rows[0].MsgID[4:], Title: rows[0].Title, Time: rows[0].CreatedAt}
	for _, r := range rows {
		m.Items = append(m.Items, item(r))
	}
	return m
}

// errRateLimited is the far end saying "too many messages".
var errRateLimited = errors.New("rate limited by the far end")

func (d *Dispatcher) send(ctx context.Context, b *ent.Bridge, rows []*ent.Delivery) error {
	ids := make([]int, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	m := message(rows)
	// The group's language decides the bridge's own words (English if
	// the group is gone).
	lang, err := d.client.Group.Query().Where(group.ID(b.GroupID)).Select(group.FieldLanguage).String(ctx)
	if err != nil && !ent.IsNotFound(err) {
		return err
	}
	m.Lang = lang
	now := d.now()
	retryAfter, err := d.post(ctx, b, m, now)
	d.spend(b.ID, now)
	switch {
	case err == nil:
		q := d.client.Delivery.Update().Where(delivery.IDIn(ids...)).SetState(delivery.StateSent).SetSentAt(d.now()).SetLastError("")
		if len(rows) > 1 {
			q.SetBatchID(m.ID)
		}
		return q.Exec(ctx)
	case errors.Is(err, errRateLimited):
		// Not the message's fault: pause the bridge, keep the attempt.
		until := now.Add(max(retryAfter, d.Window))
		d.log.Info("outbox: bridge rate limited by the far end", "bridge_id", b.ID, "until", until)
		if err := d.client.Bridge.UpdateOneID(b.ID).SetPausedUntil(until).Exec(ctx); err != nil {
			return err
		}
		return d.client.Delivery.Update().Where(delivery.IDIn(ids...)).SetLastError(clip(err.Error())).Exec(ctx)
	default:
		if ctx.Err() != nil {
			return ctx.Err()
		}
		d.log.Warn("outbox: delivery failed", "bridge_id", b.ID, "msg_id", m.ID, "err", err)
		for _, r := range rows {
			attempts := r.Attempts + 1
			u := d.client.Delivery.UpdateOneID(r.ID).SetAttempts(attempts).SetLastError(clip(err.Error()))
			if attempts >= MaxAttempts {
				u.SetState(delivery.StateDead).SetDeadAt(now)
			} else {
				u.SetNextAttemptAt(now.Add(d.Backoff(attempts)))
			}
			if err := u.Exec(ctx); err != nil {
				return err
			}
		}
		return nil
	}
}

func clip(s string) string { return truncate(s, 1000) }

// post sends one message and judges the answer: the HTTP status and,
// for the chat platforms, the error code in the body.
func (d *Dispatcher) post(ctx context.Context, b *ent.Bridge, m Message, now time.Time) (time.Duration, error) {
	r, err := Format(b.Kind, b.URL, b.Secret, m, now)
	if err != nil {
		return 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.URL, bytes.NewReader(r.Body))
	if err != nil {
		return 0, err
	}
	req.Header = r.Header
	req.Header.Set("User-Agent", "Tierlink-Bridge/1")
	resp, err := d.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	retryAfter := time.Duration(0)
	if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
		retryAfter = time.Duration(min(s, 3600)) * time.Second
	}
	if resp.StatusCode == http.StatusTooManyRequests {
		return retryAfter, errRateLimited
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return 0, fmt.Errorf("HTTP %d: %s", resp.StatusCode, strings.TrimSpace(truncate(string(body), 300)))
	}
	return retryAfter, judge(b.Kind, body)
}

// judge reads a platform's answer: WeCom and DingTalk say errcode,
// Feishu code (or StatusCode), Slack the word ok.
func judge(kind bridge.Kind, body []byte) error {
	switch kind {
	case WeCom, DingTalk, Feishu:
		var a struct {
			ErrCode    *int   `json:"errcode"`
			ErrMsg     string `json:"errmsg"`
			Code       *int   `json:"code"`
			Msg        string `json:"msg"`
			StatusCode *int   `json:"StatusCode"`
		}
		if err := json.Unmarshal(body, &a); err != nil {
			return fmt.Errorf("unreadable answer: %s", truncate(string(body), 200))
		}
		code, msg := 0, a.ErrMsg
		switch {
		case a.ErrCode != nil:
			code = *a.ErrCode
		case a.Code != nil:
			code, msg = *a.Code, a.Msg
		case a.StatusCode != nil:
			code = *a.StatusCode
		}
		switch code {
		case 0:
			return nil
		case 45009, 130101, 410100, 11232, 9499: // WeCom, DingTalk ×2, Feishu ×2: sending too fast
			return fmt.Errorf("%w (code %d: %s)", errRateLimited, code, msg)
		}
		return fmt.Errorf("code %d: %s", code, msg)
	case Slack:
		if s := strings.TrimSpace(string(body)); s != "ok" && s != "" {
			return fmt.Errorf("slack: %s", truncate(s, 200))
		}
	}
	return nil
}
