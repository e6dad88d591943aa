package partners

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/contact"
	"github.com/tierlink/tierlink/ent/document"
	"github.com/tierlink/tierlink/ent/group"
	entorder "github.com/tierlink/tierlink/ent/order"
	"github.com/tierlink/tierlink/ent/partner"
	"github.com/tierlink/tierlink/ent/user"
	"github.com/tierlink/tierlink/partners/i18n"
)

// AuditLine is an audit entry told to people: what happened as a sentence
// of the catalogue, naming people by name and records by their number or
// title, with each changed field as a sentence of its own. Internal
// fields (ids, hashes, batches) are left out.
type AuditLine struct {
	AuditOut
	// Sentence says who did what: "Wang Fang created order PO-1".
	Sentence i18n.Message `json:"sentence"`
	// Changes says what changed, a sentence a field: "changed the
	// acknowledgement target from 24 h to 48 h".
	Changes []i18n.Message `json:"changes,omitempty"`
	// Exists is true while the record the entry is about is still there,
	// so a page may link it.
	Exists bool `json:"exists"`
}

// auditSentences is the sentence of each audited action; the sentence's
// fields are filled by auditSubject. An action missing here is told with
// audit.other, and a test keeps every action in code listed.
var auditSentences = map[string]string{
	"partner.create":       "audit.partner_create",
	"partner.update":       "audit.partner_update",
	"partner.import":       "audit.partner_import",
	"contact.create":       "audit.contact_create",
	"contact.update":       "audit.contact_update",
	"contact.import":       "audit.contact_import",
	"contact.transfer":     "audit.contact_transfer",
	"invitation.create":    "audit.invitation_create",
	"invitation.accept":    "audit.invitation_accept",
	"document.upload":      "audit.document_upload",
	"document.version":     "audit.document_version",
	"document.update":      "audit.document_update",
	"document.delete":      "audit.document_delete",
	"order.create":         "audit.order_create",
	"order.update":         "audit.order_update",
	"order.cancel":         "audit.order_cancel",
	"order.import":         "audit.order_import",
	"group.create":         "audit.group_create",
	"group.update":         "audit.group_update",
	"group.owner":          "audit.group_owner",
	"group.member.add":     "audit.group_member_add",
	"group.member.remove":  "audit.group_member_remove",
	"user.create":          "audit.user_create",
	"user.deactivate":      "audit.user_deactivate",
	"user.reactivate":      "audit.user_reactivate",
	"token.create":         "audit.token_create",
	"token.revoke":         "audit.token_revoke",
	"bridge.create":        "audit.bridge_create",
	"scorecards.recompute": "audit.scorecards_recompute",
	"job.pause":            "audit.job_pause",
	"job.resume":           "audit.job_resume",
	// WeCom (partners/wecom).
	"user.wecom_link":      "audit.user_wecom_link",
	"wecom_contact.assign": "audit.wecom_contact_assign",
	"wecom_corp.map":       "audit.wecom_corp_map",
	"user.wecom_signin":    "audit.user_wecom_signin",
	"wecom.settings":       "audit.wecom_settings",
	// Mail (partners/mail).
	"mail_outbox.retry": "audit.mail_retry",
}

// valueKind says how a field's stored value is shown.
type valueKind int

const (
	vText     valueKind = iota // as stored
	vEnum                      // a catalogue label, page.<value>
	vBool                      // yes / no
	vHours                     // 24 h
	vPercent                   // 5%
	vDate                      // 2026-12-03
	vPerson                    // a user id, shown by name
	vLanguage                  // a language code, shown by its name
	vTier                      // T1
	vList                      // a, b, c
)

// auditField is a field the trail shows: its label's key and its kind.
type auditField struct {
	key  string
	kind valueKind
}

// auditFields are the fields shown in changes, in the order shown; any
// other stored field (partner_id, sha256, batch…) is internal.
var auditFields = []struct {
	name string
	auditField
}{
	{"name", auditField{"audit.field_name", vText}},
	{"code", auditField{"audit.field_code", vText}},
	{"title", auditField{"audit.field_title", vText}},
	{"kind", auditField{"audit.field_kind", vEnum}},
	{"tier", auditField{"audit.field_tier", vTier}},
	{"status", auditField{"audit.field_status", vEnum}},
	{"tags", auditField{"audit.field_tags", vList}},
	{"categories", auditField{"audit.field_categories", vList}},
	{"address", auditField{"audit.field_address", vText}},
	{"time_zone", auditField{"audit.field_time_zone", vText}},
	{"ack_sla_hours", auditField{"audit.field_ack_sla", vHours}},
	{"over_delivery_pct", auditField{"audit.field_over_delivery", vPercent}},
	{"block_on_lapsed_certificate", auditField{"audit.field_block_on_lapsed", vBool}},
	{"email", auditField{"audit.field_email", vText}},
	{"phone", auditField{"audit.field_phone", vText}},
	{"language", auditField{"audit.field_language", vLanguage}},
	{"owner_id", auditField{"audit.field_owner", vPerson}},
	{"expires_on", auditField{"audit.field_expires_on", vDate}},
	{"archived", auditField{"audit.field_archived", vBool}},
	{"digest_enabled", auditField{"audit.field_digest", vBool}},
}

// DescribeAudit tells entries as sentences, looking up the names of the
// people and records they mention in one query per kind of record.
func DescribeAudit(ctx context.Context, c *ent.Client, entries []AuditOut) ([]AuditLine, error) {
	n, err := lookupAuditNames(ctx, c, entries)
	if err != nil {
		return nil, err
	}
	out := make([]AuditLine, 0, len(entries))
	for _, e := range entries {
		out = append(out, n.describe(e))
	}
	return out, nil
}

// auditNames are the names of what a page of entries mentions; a record
// missing from its map no longer exists (or is hidden from the reader).
type auditNames struct {
	users     map[int]string
	contacts  map[int]string
	partners  map[int]string
	documents map[int]string
	groups    map[int]string
	orders    map[int]string
}

func lookupAuditNames(ctx context.Context, c *ent.Client, entries []AuditOut) (auditNames, error) {
	ids := map[string]map[int]bool{}
	add := func(kind string, id int) {
		if id <= 0 {
			return
		}
		if ids[kind] == nil {
			ids[kind] = map[int]bool{}
		}
		ids[kind][id] = true
	}
	for _, e := range entries {
		if e.ActorID != nil {
			add("user", *e.ActorID)
		}
		if e.EntityID != 0 {
			add(e.EntityType, e.EntityID)
		}
		for _, m := range []map[string]any{e.Before, e.After} {
			add("user", intValue(m["owner_id"]))
			add("user", intValue(m["user_id"]))
			add("contact", intValue(m["contact_id"]))
		}
	}
	list := func(kind string) []int {
		out := make([]int, 0, len(ids[kind]))
		for id := range ids[kind] {
			out = append(out, id)
		}
		sort.Ints(out)
		return out
	}
	var n auditNames
	var err error
	if n.users, err = namesOf(ctx, c.User.Query().Where(user.IDIn(list("user")...)), func(u *ent.User) (int, string) { return u.ID, u.Name }, len(ids["user"])); err != nil {
		return n, err
	}
	if n.contacts, err = namesOf(ctx, c.Contact.Query().Where(contact.IDIn(list("contact")...)), func(x *ent.Contact) (int, string) { return x.ID, x.Name }, len(ids["contact"])); err != nil {
		return n, err
	}
	if n.partners, err = namesOf(ctx, c.Partner.Query().Where(partner.IDIn(list("partner")...)), func(x *ent.Partner) (int, string) { return x.ID, x.Name }, len(ids["partner"])); err != nil {
		return n, err
	}
	if n.documents, err = namesOf(ctx, c.Document.Query().Where(document.IDIn(list("document")...)), func(x *ent.Document) (int, string) { return x.ID, x.Title }, len(ids["document"])); err != nil {
		return n, err
	}
	if n.groups, err = namesOf(ctx, c.Group.Query().Where(group.IDIn(list("group")...)), func(x *ent.Group) (int, string) { return x.ID, x.Name }, len(ids["group"])); err != nil {
		return n, err
	}
	if n.orders, err = namesOf(ctx, c.Order.Query().Where(entorder.IDIn(list("order")...)), func(x *ent.Order) (int, string) { return x.ID, x.Number }, len(ids["order"])); err != nil {
		return n, err
	}
	return n, nil
}

// namesOf runs q (skipped when there is nothing to look up) and maps each
// row's id to its name.
func namesOf[T any, Q interface {
	All(context.Context) ([]T, error)
}](ctx context.Context, q Q, name func(T) (int, string), want int) (map[int]string, error) {
	out := map[int]string{}
	if want == 0 {
		return out, nil
	}
	rows, err := q.All(ctx)
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		id, s := name(r)
		out[id] = s
	}
	return out, nil
}

// entity is the name of the record e is about, and whether it still
// exists; a deleted record keeps the name the entry stored.
func (n auditNames) entity(e AuditOut) (string, bool) {
	var m map[int]string
	switch e.EntityType {
	case "user":
		m = n.users
	case "contact":
		m = n.contacts
	case "partner":
		m = n.partners
	case "document":
		m = n.documents
	case "group":
		m = n.groups
	case "order":
		m = n.orders
	}
	if s, ok := m[e.EntityID]; ok && e.EntityID != 0 {
		return s, true
	}
	for _, k := range []string{"name", "title", "number"} {
		if s := stored(e.After, e.Before, k); s != "" {
			return s, false
		}
	}
	return "", false
}

// person is a user shown by name; one no longer known shows as "a former
// user", never as an id.
func (n auditNames) person(id int) i18n.Message {
	if s, ok := n.users[id]; ok && s != "" {
		return i18n.M("audit.name").With("Name", s)
	}
	return i18n.M("audit.someone")
}

func (n auditNames) actor(e AuditOut) i18n.Message {
	if e.ActorID != nil {
		return n.person(*e.ActorID)
	}
	return i18n.M("audit.system")
}

func (n auditNames) describe(e AuditOut) AuditLine {
	l := AuditLine{AuditOut: e}
	name, exists := n.entity(e)
	l.Exists = exists
	key, ok := auditSentences[e.Action]
	if !ok {
		key = "audit.other"
	}
	m := i18n.M(key).With("Actor", n.actor(e)).With("Name", name)
	switch e.Action {
	case "partner.import", "contact.import":
		m = m.With("Created", intValue(e.After["created"])).With("Updated", intValue(e.After["updated"]))
	case "order.import":
		m = i18n.N(key, intValue(e.After["orders"])).With("Actor", n.actor(e))
	case "contact.transfer", "group.owner":
		m = m.With("From", n.person(intValue(e.Before["owner_id"]))).With("To", n.person(intValue(e.After["owner_id"])))
		if b, _ := e.After["scheduled"].(bool); b {
			m.Key = "audit.contact_transfer_scheduled"
		}
	case "invitation.create":
		if s, ok := n.contacts[intValue(e.After["contact_id"])]; ok {
			m = m.With("Name", s)
		}
	case "group.member.add", "group.member.remove":
		side := e.After
		if e.Action == "group.member.remove" {
			side = e.Before
		}
		if id := intValue(side["user_id"]); id != 0 {
			m = m.With("Member", n.person(id))
		} else if s, ok := n.contacts[intValue(side["contact_id"])]; ok {
			m = m.With("Member", i18n.M("audit.name").With("Name", s))
		} else {
			m = m.With("Member", i18n.M("audit.someone"))
		}
	case "document.upload":
		m = m.With("Kind", enumLabel(stored(e.After, nil, "kind")))
	case "document.version":
		m = m.With("Version", intValue(e.After["version"]))
	case "document.delete":
		m = i18n.N(key, intValue(e.Before["versions"])).With("Actor", n.actor(e)).With("Name", name)
	case "job.pause", "job.resume", "scorecards.recompute":
		m = m.With("Name", stored(e.After, nil, "job")+stored(e.After, nil, "period"))
	}
	l.Sentence = m
	switch e.Action {
	case "contact.transfer", "group.owner":
		if note := stored(e.After, nil, "note"); note != "" && e.Action == "contact.transfer" {
			l.Changes = append(l.Changes, i18n.M("audit.note").With("Note", note))
		}
		if r := stored(e.After, nil, "reason"); r == "reassignment" || r == "departure" {
			l.Changes = append(l.Changes, i18n.M("audit.reason").With("Reason", enumLabel(r)))
		}
	default:
		if e.Before != nil && e.After != nil {
			l.Changes = n.changes(e.EntityType, e.Before, e.After)
		}
	}
	return l
}

// changes tells each shown field that differs between before and after.
func (n auditNames) changes(entityType string, before, after map[string]any) []i18n.Message {
	var out []i18n.Message
	for _, f := range auditFields {
		b, a := before[f.name], after[f.name]
		if sameValue(b, a) {
			continue
		}
		field := i18n.M(f.key)
		if f.name == "title" && entityType == "contact" {
			// A contact's title is a job title, a document's its name.
			field = i18n.M("audit.field_job_title")
		}
		switch {
		case isBlank(b):
			out = append(out, i18n.M("audit.set").With("Field", field).With("To", n.value(f.kind, a)))
		case isBlank(a):
			out = append(out, i18n.M("audit.cleared").With("Field", field))
		default:
			out = append(out, i18n.M("audit.changed").With("Field", field).With("From", n.value(f.kind, b)).With("To", n.value(f.kind, a)))
		}
	}
	return out
}

// value shows one stored value of kind k.
func (n auditNames) value(k valueKind, v any) i18n.Message {
	text := func(s string) i18n.Message { return i18n.M("audit.name").With("Name", s) }
	switch k {
	case vEnum:
		return enumLabel(fmt.Sprint(v))
	case vBool:
		if b, _ := v.(bool); b {
			return i18n.M("audit.yes")
		}
		return i18n.M("audit.no")
	case vHours:
		return i18n.N("audit.hours", intValue(v))
	case vPercent:
		return text(strconv.Itoa(intValue(v)) + "%")
	case vDate:
		if t, err := time.Parse(time.RFC3339, fmt.Sprint(v)); err == nil {
			return text(t.UTC().Format(time.DateOnly))
		}
		return text(fmt.Sprint(v))
	case vPerson:
		return n.person(intValue(v))
	case vLanguage:
		return i18n.M(LanguageKey(fmt.Sprint(v)))
	case vTier:
		return text("T" + strconv.Itoa(intValue(v)))
	case vList:
		xs, _ := v.([]any)
		parts := make([]string, 0, len(xs))
		for _, x := range xs {
			parts = append(parts, fmt.Sprint(x))
		}
		return text(strings.Join(parts, ", "))
	}
	return text(fmt.Sprint(v))
}

// LanguageKey is the catalogue key naming a language by its own name
// (English, 简体中文), never by its code.
func LanguageKey(code string) string {
	switch code {
	case i18n.Chinese:
		return "page.language_zh"
	case i18n.English:
		return "page.language_en"
	}
	return "page.language_unset"
}

// stored is the first non-blank text among maps' k.
func stored(a, b map[string]any, k string) string {
	for _, m := range []map[string]any{a, b} {
		if v, ok := m[k]; ok && !isBlank(v) {
			return fmt.Sprint(v)
		}
	}
	return ""
}

// intValue reads a JSON number (a float64 once stored) or an int.
func intValue(v any) int {
	switch x := v.(type) {
	case float64:
		return int(math.Round(x))
	case int:
		return x
	case int64:
		return int(x)
	}
	return 0
}

func isBlank(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case []any:
		return len(x) == 0
	}
	return false
}

func sameValue(a, b any) bool {
	if isBlank(a) && isBlank(b) {
		return true
	}
	return fmt.Sprint(a) == fmt.Sprint(b)
}

// enumLabel is the page catalogue's label of a stored enum value (the
// same key the pages use: "certificate", "active", "departure").
func enumLabel(value string) i18n.Message { return i18n.M(pageKeys + value) }

// pageKeys is the namespace of the page catalogue.
const pageKeys = "page."
