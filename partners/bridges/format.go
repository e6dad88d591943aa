// Package bridges mirrors group feeds into the chat tools people already
// use — WeCom group robots, Feishu/Lark and DingTalk custom bots, Slack
// incoming webhooks — and into any HTTP endpoint as a signed Standard
// Webhook. Messages leave through a durable outbox (the deliveries
// table), one bridge at a time and in order, with retries, a rate limit
// that merges overflow instead of dropping it, and dead letters.
package bridges

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tierlink/tierlink/ent/bridge"
	"github.com/tierlink/tierlink/partners/i18n"
)

// Kinds of bridge, as stored.
const (
	WeCom    = bridge.KindWecom
	Feishu   = bridge.KindFeishu
	DingTalk = bridge.KindDingtalk
	Slack    = bridge.KindSlack
	Webhook  = bridge.KindWebhook
)

// spec is what the far end documents about one kind of bridge.
type spec struct {
	// limit caps the message text, in bytes (WeCom, Feishu, DingTalk
	// count bytes) or characters (Slack); 0 is unlimited.
	limit     int
	limitRune bool
	// rate is the documented messages per minute per bot.
	rate int
}

// specs per kind. WeCom: markdown content ≤ 4,096 bytes, 20 messages a
// minute. Feishu: request body ≤ 20 KB, 100 a minute. DingTalk: 20 a
// minute; markdown text kept under 20,000 bytes. Slack: text over 40,000
// characters is truncated by Slack, and about one message a second.
var specs = map[bridge.Kind]spec{
	WeCom:    {limit: 4096, rate: 20},
	Feishu:   {limit: 18000, rate: 100},
	DingTalk: {limit: 18000, rate: 20},
	Slack:    {limit: 40000, limitRune: true, rate: 60},
	Webhook:  {limit: 0, rate: 600},
}

// Kinds lists the bridge kinds, in the order forms offer them.
var Kinds = []bridge.Kind{WeCom, Feishu, DingTalk, Slack, Webhook}

// DefaultRate is the documented messages per minute of a kind.
func DefaultRate(kind bridge.Kind) int { return specs[kind].rate }

// Message is one outgoing message: a post, a status line, or a batch of
// them merged when the far end's rate limit was reached.
type Message struct {
	ID    string    // webhook-id; stable across retries
	Title string    // the group's name
	Text  string    // plain text with light markdown (bold, links)
	Link  string    // where the post is in Tierlink
	Time  time.Time // when the post was made
	// Lang is the group's language, which the bridge's own words (the
	// link's label) are in; the text was rendered in it already.
	Lang string
	// Items are the merged messages of a batch (Text is then empty).
	Items []Message
}

// Request is a formatted HTTP request for a bridge.
type Request struct {
	URL    string
	Header http.Header
	Body   []byte
}

// Format builds the request that delivers m to a bridge of kind at
// rawURL, signed with secret where the kind signs. now stamps the
// signature.
func Format(kind bridge.Kind, rawURL, secret string, m Message, now time.Time) (Request, error) {
	sp, ok := specs[kind]
	if !ok {
		return Request{}, fmt.Errorf("unknown bridge kind %q", kind)
	}
	r := Request{URL: rawURL, Header: http.Header{"Content-Type": {"application/json"}}}
	var body any
	switch kind {
	case WeCom:
		body = map[string]any{"msgtype": "markdown", "markdown": map[string]any{"content": fit(markdown(m), m.Link, m.Lang, sp)}}
	case DingTalk:
		body = map[string]any{"msgtype": "markdown", "markdown": map[string]any{"title": title(m), "text": fit(markdown(m), m.Link, m.Lang, sp)}}
		if secret != "" {
			ts := strconv.FormatInt(now.UnixMilli(), 10)
			u, err := url.Parse(rawURL)
			if err != nil {
				return Request{}, err
			}
			q := u.Query()
			q.Set("timestamp", ts)
			q.Set("sign", sign(secret, ts+"\n"+secret))
			u.RawQuery = q.Encode()
			r.URL = u.String()
		}
	case Feishu:
		b := map[string]any{"msg_type": "text", "content": map[string]any{"text": fit(plain(m), m.Link, m.Lang, sp)}}
		if secret != "" {
			ts := strconv.FormatInt(now.Unix(), 10)
			b["timestamp"] = ts
			b["sign"] = sign(ts+"\n"+secret, "")
		}
		body = b
	case Slack:
		body = map[string]any{"text": fit(slackText(m), m.Link, m.Lang, sp)}
	case Webhook:
		body = webhookBody(m)
	}
	var err error
	if r.Body, err = json.Marshal(body); err != nil {
		return Request{}, err
	}
	if kind == Webhook {
		ts := strconv.FormatInt(now.Unix(), 10)
		r.Header.Set("webhook-id", m.ID)
		r.Header.Set("webhook-timestamp", ts)
		if secret != "" {
			sig, err := SignWebhook(secret, m.ID, ts, r.Body)
			if err != nil {
				return Request{}, err
			}
			r.Header.Set("webhook-signature", sig)
		}
	}
	return r, nil
}

// sign is base64(HMAC-SHA256(key, msg)), the signature of DingTalk
// (key = secret, msg = timestamp\nsecret) and Feishu (key =
// timestamp\nsecret, msg empty).
func sign(key, msg string) string {
	h := hmac.New(sha256.New, []byte(key))
	h.Write([]byte(msg))
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

func title(m Message) string {
	if m.Title == "" {
		return "Tierlink"
	}
	return m.Title
}

// markdown is the WeCom/DingTalk rendering: a bold title, then the text.
func markdown(m Message) string {
	var b strings.Builder
	b.WriteString("**" + escapeMD(title(m)) + "**\n")
	if len(m.Items) == 0 {
		b.WriteString(m.Text)
		if m.Link != "" {
			b.WriteString("\n[" + i18n.For(m.Lang).T("chat.open", nil) + "](" + m.Link + ")")
		}
		return b.String()
	}
	for _, it := range m.Items {
		b.WriteString("\n> " + strings.ReplaceAll(it.Text, "\n", "\n> "))
		if it.Link != "" {
			b.WriteString(" [↗](" + it.Link + ")")
		}
	}
	return b.String()
}

func plain(m Message) string {
	var b strings.Builder
	b.WriteString(title(m) + "\n")
	if len(m.Items) == 0 {
		b.WriteString(m.Text)
		if m.Link != "" {
			b.WriteString("\n" + m.Link)
		}
		return b.String()
	}
	for _, it := range m.Items {
		b.WriteString("\n• " + it.Text)
		if it.Link != "" {
			b.WriteString(" " + it.Link)
		}
	}
	return b.String()
}

func slackText(m Message) string {
	esc := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
	var b strings.Builder
	b.WriteString("*" + esc.Replace(title(m)) + "*\n")
	if len(m.Items) == 0 {
		b.WriteString(esc.Replace(m.Text))
		if m.Link != "" {
			b.WriteString("\n<" + m.Link + "|" + esc.Replace(i18n.For(m.Lang).T("chat.open_in_tierlink", nil)) + ">")
		}
		return b.String()
	}
	for _, it := range m.Items {
		b.WriteString("\n• " + esc.Replace(it.Text))
		if it.Link != "" {
			b.WriteString(" <" + it.Link + "|↗>")
		}
	}
	return b.String()
}

func webhookBody(m Message) map[string]any {
	item := func(m Message) map[string]any {
		return map[string]any{"id": m.ID, "title": m.Title, "text": m.Text, "link": m.Link, "time": m.Time.UTC().Format(time.RFC3339)}
	}
	if len(m.Items) == 0 {
		return map[string]any{"type": "post.created", "timestamp": m.Time.UTC().Format(time.RFC3339), "data": item(m)}
	}
	items := make([]map[string]any, 0, len(m.Items))
	for _, it := range m.Items {
		items = append(items, item(it))
	}
	return map[string]any{"type": "post.batch", "timestamp": m.Time.UTC().Format(time.RFC3339), "data": map[string]any{"messages": items}}
}

// escapeMD keeps a group name from being read as markdown.
func escapeMD(s string) string {
	return strings.NewReplacer("*", "\\*", "_", "\\_", "[", "\\[", "]", "\\]", "`", "\\`").Replace(s)
}

// fit truncates text to the kind's limit, ending with a pointer to the
// whole message, so the far end never refuses it for its size.
func fit(text, link, lang string, sp spec) string {
	size := len(text)
	if sp.limitRune {
		size = utf8.RuneCountInString(text)
	}
	if sp.limit == 0 || size <= sp.limit {
		return text
	}
	tail := "\n…"
	if link != "" {
		tail = "\n… " + i18n.For(lang).T("chat.full_text", map[string]any{"Link": link})
	}
	budget := sp.limit - len(tail)
	if sp.limitRune {
		budget = sp.limit - utf8.RuneCountInString(tail)
		runes := 0
		for i := range text {
			if runes == budget {
				return text[:i] + tail
			}
			runes++
		}
		return text
	}
	return truncate(text, max(budget, 0)) + tail
}

// Fits reports whether m would go out whole (untruncated) through kind,
// which is how the outbox decides how many messages a batch may merge.
func Fits(kind bridge.Kind, m Message) bool {
	sp := specs[kind]
	if sp.limit == 0 {
		return true
	}
	var text string
	switch kind {
	case WeCom, DingTalk:
		text = markdown(m)
	case Feishu:
		text = plain(m)
	case Slack:
		return utf8.RuneCountInString(slackText(m)) <= sp.limit
	}
	return len(text) <= sp.limit
}

// SignWebhook signs a Standard Webhooks message: "v1," followed by the
// base64 HMAC-SHA256 of "id.timestamp.body" under the secret (given as
// "whsec_" and base64, or as raw text).
func SignWebhook(secret, id, timestamp string, body []byte) (string, error) {
	key, err := webhookKey(secret)
	if err != nil {
		return "", err
	}
	h := hmac.New(sha256.New, key)
	h.Write([]byte(id + "." + timestamp + "."))
	h.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(h.Sum(nil)), nil
}

func webhookKey(secret string) ([]byte, error) {
	if rest, ok := strings.CutPrefix(secret, "whsec_"); ok {
		key, err := base64.StdEncoding.DecodeString(rest)
		if err != nil {
			return nil, fmt.Errorf("webhook secret: the part after whsec_ is not base64")
		}
		return key, nil
	}
	return []byte(secret), nil
}

// VerifyWebhook checks a Standard Webhooks signature header (which may
// carry several space-separated signatures, during a key rotation) and
// that the timestamp is within tolerance of now, against replays.
func VerifyWebhook(secret string, header http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	id, ts, sigs := header.Get("webhook-id"), header.Get("webhook-timestamp"), header.Get("webhook-signature")
	if id == "" || ts == "" || sigs == "" {
		return fmt.Errorf("webhook-id, webhook-timestamp and webhook-signature are all required")
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("webhook-timestamp is not a number of seconds")
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("webhook-timestamp is outside the tolerance")
	}
	want, err := SignWebhook(secret, id, ts, body)
	if err != nil {
		return err
	}
	for s := range strings.FieldsSeq(sigs) {
		if hmac.Equal([]byte(s), []byte(want)) {
			return nil
		}
	}
	return fmt.Errorf("no webhook-signature matches")
}
