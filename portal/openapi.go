package portal

import (
	"fmt"
	"path"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/gofiber/fiber/v2"
)

// op documents one API route; the same value drives registration, the
// access check and the OpenAPI document.
type op struct {
	Summary string
	// Description says what the route does, for whom, and the rules a
	// client must know (a test requires one on every operation).
	Description string
	Tag         string
	Access      access
	Query       any  // a struct with `query` tags
	Body        any  // the JSON request body type
	Upload      bool // the request body is a file, streamed
	// Idempotent routes honour the Idempotency-Key header.
	Idempotent bool
	Resp       any // the JSON response body type
	Status     int // success status; 200 when zero
	// Errors lists 4xx statuses the route gives beyond those its shape
	// implies (see errorStatuses), such as 409 for a decision made twice.
	Errors []int
	// File: the success answer may be the file itself rather than JSON.
	File bool
	// Redirect: the route may answer 302 with a Location instead.
	Redirect bool
	// Stream: the answer is a text/event-stream that does not end.
	Stream bool
}

type api struct {
	s      *Server
	router fiber.Router
	prefix string
}

func (a api) group(prefix string) api {
	return api{s: a.s, router: a.router.Group(prefix), prefix: a.prefix + prefix}
}

// handle registers one API route. A query struct the binder cannot fill
// panics here, at start-up, rather than drop a parameter at run time.
func (a api) handle(method, path string, o op, h fiber.Handler) {
	if path == "/" {
		path = "" // the group's own path, without a trailing slash
	}
	full := a.prefix + path
	if o.Query != nil {
		queryPlanOf(reflect.TypeOf(o.Query))
	}
	a.router.Add(method, path, o.Access.handler(h))
	a.s.doc.add(method, full, o)
}

// list registers a GET that answers a page: its query takes limit and
// cursor and its answer is {items, next_cursor}, as every list of the
// API is; a list route of another shape panics at registration.
func (a api) list(path string, o op, h fiber.Handler) {
	q, r := reflect.TypeOf(o.Query), reflect.TypeOf(o.Resp)
	if q == nil || r == nil || !hasTagged(q, "query", "limit") || !hasTagged(q, "query", "cursor") ||
		!hasTagged(r, "json", "items") || !hasTagged(r, "json", "next_cursor") {
		panic(fmt.Sprintf("list route %s%s must take limit and cursor and answer {items, next_cursor}", a.prefix, path))
	}
	a.handle(fiber.MethodGet, path, o, h)
}

// hasTagged tells whether struct t (or one it embeds) has a field whose
// tag key names name.
func hasTagged(t reflect.Type, key, name string) bool {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if n, _, _ := strings.Cut(f.Tag.Get(key), ","); n == name {
			return true
		}
		if f.Anonymous && f.Type.Kind() == reflect.Struct && hasTagged(f.Type, key, name) {
			return true
		}
	}
	return false
}

var paramRE = regexp.MustCompile(`:([A-Za-z_]+)`)

// openAPIPath turns fiber's /x/:id into OpenAPI's /x/{id}.
func openAPIPath(p string) string { return paramRE.ReplaceAllString(p, "{$1}") }

// tagDescriptions are the document's tags, in the order a reader meets
// them; an op whose tag is not here panics at registration.
var tagDescriptions = []struct{ name, desc string }{
	{"auth", "Logging in and out, and who the caller is."},
	{"partners", "The partner directory: suppliers in tiers, dealers, customers and logistics firms the company works with."},
	{"contacts", "People at partners, each owned by exactly one staff user."},
	{"transfers", "The ownership ledger: contacts handed from one owner to another, now or at a scheduled time."},
	{"users", "Staff and partner users of the portal."},
	{"tokens", "API tokens for integrations (sent as `Authorization: Bearer …`)."},
	{"invitations", "One-time invitations that let a partner's contact log in."},
	{"audit", "The audit trail: who changed what, and when."},
	{"documents", "Supply documents shared with partners: drawings, certificates with expiry, packing lists, with versions and a download record."},
	{"orders", "Purchase and sales orders, their acknowledgements and change requests."},
	{"events", "The domain event stream, for integrations that follow changes."},
	{"shipments", "Advance ship notices, their status updates and receipts, and the status board."},
	{"groups", "Shared groups of staff and partner contacts: members, the feed, cards and the live stream."},
	{"bridges", "Bridges that carry a group's feed to WeCom, Feishu, DingTalk, Slack or a signed webhook."},
	{"jobs", "Scheduled jobs: digests, reminders, certificate warnings, and their run history."},
	{"scorecards", "Partner responsiveness and delivery scorecards."},
	{"wecom", "WeCom (企业微信): external contacts synced into the directory, the unmatched inbox, and staff users' WeCom userids."},
	{"mail", "E-mail: the outbox of mail the portal sends, its dead letters and their retry."},
}

// problemResponses are the shared error answers, by status.
var problemResponses = map[int]struct{ name, desc string }{
	400: {"BadRequest", "The request could not be read: malformed JSON, an empty body, or more than one JSON value."},
	401: {"Unauthenticated", "No valid session or API token was sent."},
	403: {"Forbidden", "The caller's role may not do this, or a state-changing request from a browser session lacks its X-CSRF-Token."},
	404: {"NotFound", "The path names no record the caller can see. A record of another partner, and an id that is not a number, answer exactly like one that does not exist."},
	409: {"Conflict", "The record is not in a state that allows this (a decision already made, a duplicate number), or a request with the same Idempotency-Key is still being applied."},
	411: {"LengthRequired", "An upload must carry Content-Length."},
	413: {"TooLarge", "The body is larger than this route accepts, or the partner's storage quota would be exceeded."},
	415: {"UnsupportedMediaType", "The body's Content-Type is not one this route accepts, or does not match the file's content."},
	422: {"Invalid", "The input is well-formed but wrong: each field in `errors` says what is wrong with it. An id in the query or body that names no record the caller can see is reported here, against its field."},
	429: {"TooManyRequests", "Too many attempts; wait before retrying."},
	500: {"InternalError", "Something failed on the server; quote the request_id when reporting it."},
}

type openAPIDoc struct {
	paths   map[string]map[string]any
	schemas map[string]any
	// names holds the type behind each schema name and whether it is a
	// request (input) schema: two types under one name panic.
	names map[string]schemaOwner
	ops   map[string]map[string]op // fiber path → method → op, for tests
	used  map[string]bool          // tags in use
}

type schemaOwner struct {
	t     reflect.Type
	input bool
}

func newOpenAPIDoc() *openAPIDoc {
	return &openAPIDoc{paths: map[string]map[string]any{}, schemas: map[string]any{}, names: map[string]schemaOwner{},
		ops: map[string]map[string]op{}, used: map[string]bool{}}
}

func (d *openAPIDoc) add(method, fullPath string, o op) {
	if d.ops[fullPath] == nil {
		d.ops[fullPath] = map[string]op{}
	}
	d.ops[fullPath][method] = o
	if !knownTag(o.Tag) {
		panic(fmt.Sprintf("route %s %s: tag %q is not declared in tagDescriptions", method, fullPath, o.Tag))
	}
	d.used[o.Tag] = true
	p := openAPIPath(fullPath)
	if d.paths[p] == nil {
		d.paths[p] = map[string]any{}
	}
	status := o.Status
	if status == 0 {
		status = 200
	}
	operation := map[string]any{
		"summary":     o.Summary,
		"description": o.Description,
		"tags":        []string{o.Tag},
		"operationId": operationID(method, p),
		"x-access":    string(o.Access),
	}
	var params []any
	for _, m := range paramRE.FindAllStringSubmatch(fullPath, -1) {
		params = append(params, pathParam(m[1]))
	}
	if o.Idempotent {
		params = append(params, map[string]any{"name": "Idempotency-Key", "in": "header", "required": false,
			"description": "A retry with the same key and the same body answers with the first response (kept 24 hours); the same key with another body is 422; a key whose request is still being applied is 409.",
			"schema":      map[string]any{"type": "string", "minLength": 1, "maxLength": 255}})
	}
	if o.Query != nil {
		t := reflect.TypeOf(o.Query)
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name := f.Tag.Get("query")
			if name == "" || name == "-" {
				continue
			}
			if f.Type.Kind() == reflect.Pointer {
				f.Type = f.Type.Elem() // a parameter is absent, never null
			}
			ps := d.fieldSchema(f, true)
			// An empty value means "not set", as a browser form sends
			// an untouched field; allowEmptyValue says exactly that.
			param := map[string]any{"name": name, "in": "query", "required": hasRule(f.Tag.Get("validate"), "required"), "schema": ps,
				"allowEmptyValue": true}
			if desc := f.Tag.Get("doc"); desc != "" {
				param["description"] = desc
			}
			params = append(params, param)
		}
	}
	if params != nil {
		operation["parameters"] = params
	}
	if o.Upload {
		operation["requestBody"] = map[string]any{"required": true,
			"description": "The file's bytes. Content-Length is required, and Content-Type must name the file's real type (it is checked against the content).",
			"content":     map[string]any{"*/*": map[string]any{"schema": map[string]any{"type": "string", "format": "binary"}}}}
	}
	if o.Body != nil {
		operation["requestBody"] = map[string]any{"required": true, "content": map[string]any{
			"application/json": map[string]any{"schema": d.schema(reflect.TypeOf(o.Body), true)}}}
	}
	operation["responses"] = d.responses(status, fullPath, o)
	if o.Access == anyone {
		operation["security"] = []any{}
	} else {
		operation["security"] = []any{map[string]any{"bearer": []string{}}, map[string]any{"session": []string{}}}
	}
	d.paths[p][strings.ToLower(method)] = operation
}

func (d *openAPIDoc) responses(status int, fullPath string, o op) map[string]any {
	responses := map[string]any{}
	ok := map[string]any{"description": http200Description(status)}
	content := map[string]any{}
	switch {
	case o.Stream:
		content["text/event-stream"] = map[string]any{"schema": map[string]any{"type": "string",
			"description": "Server-Sent Events: each `event: post` carries a post as JSON under its feed number (`id:`)."}}
	case o.Resp != nil:
		content["application/json"] = map[string]any{"schema": d.schema(reflect.TypeOf(o.Resp), false)}
	}
	if o.File {
		content["*/*"] = map[string]any{"schema": map[string]any{"type": "string", "format": "binary",
			"description": "The file itself (its real Content-Type is sent), when documents are kept on the portal's own disk."}}
	}
	if len(content) > 0 {
		ok["content"] = content
	}
	responses[strconv.Itoa(status)] = ok
	if o.Redirect {
		responses["302"] = map[string]any{"description": "A redirect to a short-lived presigned link to the file.",
			"headers": map[string]any{"Location": map[string]any{"description": "the presigned link", "schema": map[string]any{"type": "string", "format": "uri"}}}}
	}
	for _, code := range errorStatuses(fullPath, o) {
		responses[strconv.Itoa(code)] = map[string]any{"$ref": "#/components/responses/" + problemResponses[code].name}
	}
	return responses
}

func http200Description(status int) string {
	switch status {
	case 201:
		return "Created"
	case 202:
		return "Accepted"
	case 204:
		return "No content"
	}
	return "OK"
}

// errorStatuses are the error answers a route can give: those its shape
// implies (who may call it, a path id, a body, an upload) and those it
// declares in op.Errors. The contract test fails on any answer outside
// this list, so it stays exact.
func errorStatuses(fullPath string, o op) []int {
	set := map[int]bool{500: true}
	if o.Access != anyone {
		set[401], set[403] = true, true
	}
	if strings.Contains(fullPath, ":") {
		set[404] = true
	}
	if o.Body != nil {
		set[400], set[413], set[415], set[422] = true, true, true, true
	}
	if o.Query != nil {
		set[422] = true
	}
	if o.Upload {
		set[411], set[413], set[415], set[422] = true, true, true, true
	}
	if o.Idempotent {
		set[409], set[422] = true, true
	}
	for _, c := range o.Errors {
		if _, ok := problemResponses[c]; !ok {
			panic(fmt.Sprintf("route %s: status %d has no shared problem response", fullPath, c))
		}
		set[c] = true
	}
	var out []int
	for c := range set {
		out = append(out, c)
	}
	sort.Ints(out)
	return out
}

// pathParam describes a path parameter: ids are positive integers; a
// job is named by its slug.
func pathParam(name string) map[string]any {
	p := map[string]any{"name": name, "in": "path", "required": true}
	switch {
	case name == "id" || strings.HasSuffix(name, "_id"):
		p["schema"] = map[string]any{"type": "integer", "format": "int64", "minimum": 1}
	case name == "name":
		p["schema"] = map[string]any{"type": "string", "pattern": jobNameRE.String()}
		p["description"] = "the job's name, as `GET /api/v1/jobs` lists it"
	default:
		p["schema"] = map[string]any{"type": "string"}
	}
	return p
}

// methodsAt lists the methods the API serves at a concrete path (with
// HEAD beside GET, as the router answers it), or none for an unknown path.
func (d *openAPIDoc) methodsAt(p string) []string { return d.methodsMatching(p, false) }

// methodsMatching lists the methods at a path; literalOnly considers
// only routes without parameters (/orders/import, not /orders/:id).
func (d *openAPIDoc) methodsMatching(p string, literalOnly bool) []string {
	segs := strings.Split(strings.Trim(p, "/"), "/")
	var out []string
	for route, ops := range d.ops {
		rs := strings.Split(strings.Trim(route, "/"), "/")
		if len(rs) != len(segs) || literalOnly && strings.Contains(route, ":") {
			continue
		}
		match := true
		for i, r := range rs {
			if !strings.HasPrefix(r, ":") && r != segs[i] || segs[i] == "" {
				match = false
				break
			}
		}
		if !match {
			continue
		}
		for m := range ops {
			out = append(out, m)
			if m == fiber.MethodGet {
				out = append(out, fiber.MethodHead)
			}
		}
	}
	sort.Strings(out)
	return slices.Compact(out)
}

func operationID(method, p string) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(method))
	for _, seg := range strings.Split(strings.TrimPrefix(p, "/api/v1"), "/") {
		if seg == "" {
			continue
		}
		by := strings.HasPrefix(seg, "{")
		seg = strings.Trim(seg, "{}")
		if by {
			b.WriteString("By")
		}
		for _, w := range strings.FieldsFunc(seg, func(r rune) bool { return r == '-' || r == '_' }) {
			b.WriteString(strings.ToUpper(w[:1]) + w[1:])
		}
	}
	return b.String()
}

func knownTag(t string) bool {
	for _, d := range tagDescriptions {
		if d.name == t {
			return true
		}
	}
	return false
}

var timeType = reflect.TypeOf(time.Time{})

// schema describes t; input marks request bodies, which refuse unknown
// fields, against responses, whose every field without omitempty is
// always present.
func (d *openAPIDoc) schema(t reflect.Type, input bool) map[string]any {
	nullable := false
	for t.Kind() == reflect.Pointer {
		t, nullable = t.Elem(), true
	}
	s := d.plainSchema(t, input)
	if nullable {
		return orNull(s)
	}
	return s
}

// orNull lets a schema also be null (a pointer without omitempty).
func orNull(s map[string]any) map[string]any {
	if _, ref := s["$ref"]; ref {
		return map[string]any{"oneOf": []any{s, map[string]any{"type": "null"}}}
	}
	if typ, ok := s["type"].(string); ok {
		s["type"] = []any{typ, "null"}
	}
	return s
}

func (d *openAPIDoc) plainSchema(t reflect.Type, input bool) map[string]any {
	if sc, ok := reflect.Zero(t).Interface().(interface{ OpenAPISchema() map[string]any }); ok {
		return sc.OpenAPISchema()
	}
	switch {
	case t == timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case t.Kind() == reflect.String:
		return map[string]any{"type": "string"}
	case t.Kind() == reflect.Bool:
		return map[string]any{"type": "boolean"}
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Int64:
		return map[string]any{"type": "integer", "format": "int64"}
	case t.Kind() >= reflect.Uint && t.Kind() <= reflect.Uint64:
		return map[string]any{"type": "integer", "minimum": 0}
	case t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64:
		return map[string]any{"type": "number"}
	case t.Kind() == reflect.Slice:
		return map[string]any{"type": "array", "items": d.schema(t.Elem(), input)}
	case t.Kind() == reflect.Map:
		if t.Elem().Kind() == reflect.Interface {
			return map[string]any{"type": "object"}
		}
		return map[string]any{"type": "object", "additionalProperties": d.schema(t.Elem(), input)}
	case t.Kind() == reflect.Struct:
		name := schemaName(t)
		if prev, ok := d.names[name]; ok {
			if prev.t != t {
				panic(fmt.Sprintf("OpenAPI schema name %s is wanted by both %s and %s: add one to schemaNames", name, prev.t, t))
			}
			if prev.input != input {
				panic(fmt.Sprintf("type %s is used both as a request and as a response body: give each its own type", t))
			}
		} else {
			d.names[name] = schemaOwner{t: t, input: input}
			d.schemas[name] = map[string]any{} // break recursion
			d.schemas[name] = d.object(t, input)
		}
		return map[string]any{"$ref": "#/components/schemas/" + name}
	case t.Kind() == reflect.Interface:
		return map[string]any{}
	}
	panic(fmt.Sprintf("no OpenAPI schema for type %s", t))
}

// schemaNames names the types whose package and type name together do
// not read well.
var schemaNames = map[string]string{
	"scorecards.Card":      "Scorecard",
	"orders.ChangeRequest": "ChangeRequest",
	"partners.EventPage":   "EventPage",
	"partners.Event":       "Event",
}

// packageNouns prefix a package's type names, so that documents.Page
// and orders.Page become DocumentPage and OrderPage.
var packageNouns = map[string]string{
	"documents":  "Document",
	"groups":     "Group",
	"orders":     "Order",
	"shipments":  "Shipment",
	"scorecards": "Scorecard",
	"jobs":       "Job",
	"wecom":      "WeCom",
}

// schemaName is a readable, unique component name for a struct type:
// package noun + type name, generic wrappers named for their element
// (listResult[accounts.User] → UserList).
func schemaName(t reflect.Type) string {
	pkg := path.Base(t.PkgPath())
	name := t.Name()
	if base, args, ok := strings.Cut(name, "["); ok {
		arg := strings.TrimSuffix(args, "]")
		argType := arg[strings.LastIndex(arg, "/")+1:] // pkg.Type
		argPkg, argName, _ := strings.Cut(argType, ".")
		elem := nounFor(argPkg, argName)
		if base == "listResult" {
			return elem + "List"
		}
		return elem + exported(base)
	}
	if n, ok := schemaNames[pkg+"."+name]; ok {
		return n
	}
	return nounFor(pkg, name)
}

func nounFor(pkg, name string) string {
	if n, ok := schemaNames[pkg+"."+name]; ok {
		return n
	}
	name = exported(name)
	if noun := packageNouns[pkg]; noun != "" && !strings.HasPrefix(name, noun) {
		return noun + name
	}
	return name
}

func exported(s string) string {
	if s == "" {
		return s
	}
	r := []rune(s)
	r[0] = unicode.ToUpper(r[0])
	return string(r)
}

func (d *openAPIDoc) object(t reflect.Type, input bool) map[string]any {
	props := map[string]any{}
	var required []string
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if f.Anonymous {
				ft := f.Type
				if ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				walk(ft)
				continue
			}
			name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" || !f.IsExported() {
				continue
			}
			if name == "" {
				name = f.Name
			}
			omitempty := strings.Contains(opts, "omitempty")
			ps := d.fieldSchema(f, input)
			if !input && omitempty && f.Type.Kind() == reflect.Pointer {
				ps = d.schema(f.Type.Elem(), input) // omitted when nil, never null
				constrain(ps, f.Tag.Get("validate"))
				describe(ps, f.Tag.Get("doc"))
			}
			props[name] = ps
			if input && mustBeSent(f) || !input && !omitempty {
				required = append(required, name)
			}
		}
	}
	walk(t)
	o := map[string]any{"type": "object", "properties": props}
	if len(required) > 0 {
		o["required"] = required
	}
	if input {
		o["additionalProperties"] = false
	}
	return o
}

// fieldSchema is a field's schema with the constraints of its validate
// tag and the description of its doc tag.
func (d *openAPIDoc) fieldSchema(f reflect.StructField, input bool) map[string]any {
	s := d.schema(f.Type, input)
	constrain(s, f.Tag.Get("validate"))
	describe(s, f.Tag.Get("doc"))
	return s
}

// describe sets a schema's description (3.1 allows it beside a $ref).
func describe(s map[string]any, desc string) {
	if desc != "" {
		s["description"] = desc
	}
}

// constrain adds what a validate tag says about a value's shape (up to
// its first "dive", which speaks of the elements) to its schema.
func constrain(s map[string]any, rules string) {
	if rules == "" {
		return
	}
	if _, ref := s["$ref"]; ref {
		return
	}
	if _, one := s["oneOf"]; one {
		return
	}
	typ := s["type"]
	if ts, ok := typ.([]any); ok {
		typ = ts[0]
	}
	for _, r := range strings.Split(rules, ",") {
		if r == "dive" {
			break
		}
		key, val, _ := strings.Cut(r, "=")
		switch key {
		case "oneof":
			var enum []any
			for _, v := range strings.Fields(val) {
				enum = append(enum, v)
			}
			if isNullType(s["type"]) {
				enum = append(enum, nil)
			}
			s["enum"] = enum
		case "min", "max", "len":
			n, err := strconv.Atoi(val)
			if err != nil {
				continue
			}
			var lo, hi string
			switch typ {
			case "string":
				lo, hi = "minLength", "maxLength"
			case "array":
				lo, hi = "minItems", "maxItems"
			case "integer", "number":
				lo, hi = "minimum", "maximum"
			default:
				continue
			}
			switch key {
			case "min":
				s[lo] = n
			case "max":
				s[hi] = n
			case "len":
				s[lo], s[hi] = n, n
			}
		case "gt":
			if n, err := strconv.Atoi(val); err == nil && (typ == "integer" || typ == "number") {
				s["exclusiveMinimum"] = n
			}
		case "datetime":
			if val == "2006-01-02" {
				s["format"] = "date"
			}
		case "email":
			s["format"] = "email"
		case "url", "http_url":
			s["format"] = "uri"
		}
	}
}

func isNullType(t any) bool {
	ts, ok := t.([]any)
	return ok && len(ts) == 2 && ts[1] == "null"
}

// mustBeSent tells whether a request field must be in the body: it is
// required, or a value its zero would fail (quantity gt=0, name min=1)
// is not optional.
func mustBeSent(f reflect.StructField) bool {
	rules := f.Tag.Get("validate")
	if hasRule(rules, "required") {
		return true
	}
	if f.Type.Kind() == reflect.Pointer || hasRule(rules, "omitempty") {
		return false
	}
	for _, r := range strings.Split(rules, ",") {
		if r == "dive" {
			break
		}
		k, v, _ := strings.Cut(r, "=")
		if n, err := strconv.Atoi(v); err == nil && (k == "gt" && n >= 0 || (k == "min" || k == "gte" || k == "len") && n > 0) {
			return true
		}
	}
	return false
}

// hasRule tells whether a validate tag holds a rule (before any dive).
func hasRule(rules, name string) bool {
	for _, r := range strings.Split(rules, ",") {
		if r == "dive" {
			return false
		}
		if k, _, _ := strings.Cut(r, "="); k == name {
			return true
		}
	}
	return false
}

func (d *openAPIDoc) document(baseURL, cookieName string) map[string]any {
	paths := map[string]any{}
	for p, ops := range d.paths {
		paths[p] = ops
	}
	var tags []any
	for _, t := range tagDescriptions {
		if d.used[t.name] {
			tags = append(tags, map[string]any{"name": t.name, "description": t.desc})
		}
	}
	responses := map[string]any{}
	problem := map[string]any{"$ref": "#/components/schemas/Problem"}
	for _, r := range problemResponses {
		responses[r.name] = map[string]any{"description": r.desc, "content": map[string]any{
			"application/problem+json": map[string]any{"schema": problem}}}
	}
	d.schema(reflect.TypeOf(Problem{}), false)
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{"title": "Tierlink API", "version": "1",
			"description": "Supplier and partner collaboration portal: the partner directory, documents, orders, shipments, groups and scorecards.\n\n" +
				"Authenticate with an API token (`Authorization: Bearer …`) or a browser session (cookie, plus `X-CSRF-Token` on changes). " +
				"Partner users see and change only their own partner's records; every id a request names — in the path, the query or the body — is held to that. " +
				"Lists page with `limit` and `cursor` and answer `{items, next_cursor}`. Errors are RFC 9457 problem+json.",
			"license": map[string]any{"name": "Proprietary", "identifier": "LicenseRef-Tierlink"}},
		"servers":  []any{map[string]any{"url": baseURL, "description": "this portal"}},
		"tags":     tags,
		"security": []any{map[string]any{"bearer": []string{}}, map[string]any{"session": []string{}}},
		"paths":    paths,
		"components": map[string]any{
			"schemas":   d.schemas,
			"responses": responses,
			"securitySchemes": map[string]any{
				"bearer":  map[string]any{"type": "http", "scheme": "bearer", "description": "API token from `tierlink token create` or POST /api/v1/tokens"},
				"session": map[string]any{"type": "apiKey", "in": "cookie", "name": cookieName, "description": "browser session; state-changing calls also need the X-CSRF-Token header"},
			},
		},
	}
}
