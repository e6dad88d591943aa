package portal

import (
	"reflect"
	"regexp"
	"strings"
	"time"

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
}

type api struct {
	s      *Server
	router fiber.Router
	prefix string
}

func (a api) group(prefix string) api {
	return api{s: a.s, router: a.router.Group(prefix), prefix: a.prefix + prefix}
}

func (a api) handle(method, path string, o op, h fiber.Handler) {
	if path == "/" {
		path = "" // the group's own path, without a trailing slash
	}
	full := a.prefix + path
	a.router.Add(method, path, o.Access.handler(h))
	a.s.doc.add(method, full, o)
}

var paramRE = regexp.MustCompile(`:([A-Za-z_]+)`)

// openAPIPath turns fiber's /x/:id into OpenAPI's /x/{id}.
func openAPIPath(p string) string { return paramRE.ReplaceAllString(p, "{$1}") }

type openAPIDoc struct {
	paths   map[string]map[string]any
	schemas map[string]any
	ops     map[string]map[string]op // fiber path → method → op, for tests
}

func newOpenAPIDoc() *openAPIDoc {
	return &openAPIDoc{paths: map[string]map[string]any{}, schemas: map[string]any{}, ops: map[string]map[string]op{}}
}

func (d *openAPIDoc) add(method, path string, o op) {
	if d.ops[path] == nil {
		d.ops[path] = map[string]op{}
	}
	d.ops[path][method] = o
	p := openAPIPath(path)
	if d.paths[p] == nil {
		d.paths[p] = map[string]any{}
	}
	status := o.Status
	if status == 0 {
		status = 200
	}
	operation := map[string]any{
		"summary":     o.Summary,
		"tags":        []string{o.Tag},
		"operationId": strings.ToLower(method) + strings.NewReplacer("/", "_", "{", "", "}", "", "-", "_").Replace(strings.TrimPrefix(p, "/api/v1")),
		"x-access":    string(o.Access),
	}
	var params []any
	for _, m := range paramRE.FindAllStringSubmatch(path, -1) {
		params = append(params, map[string]any{"name": m[1], "in": "path", "required": true,
			"schema": map[string]any{"type": "string"}})
	}
	if o.Idempotent {
		params = append(params, map[string]any{"name": "Idempotency-Key", "in": "header", "required": false,
			"description": "retries with the same key and body replay the first response (24 h); another body is 422; a key in flight is 409",
			"schema":      map[string]any{"type": "string", "maxLength": 255}})
	}
	if o.Query != nil {
		t := reflect.TypeOf(o.Query)
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if name := f.Tag.Get("query"); name != "" && name != "-" {
				params = append(params, map[string]any{"name": name, "in": "query", "required": false, "schema": d.schema(f.Type)})
			}
		}
	}
	if params != nil {
		operation["parameters"] = params
	}
	if o.Upload {
		operation["requestBody"] = map[string]any{"required": true, "description": "the file; Content-Length is required and Content-Type must match the file",
			"content": map[string]any{"*/*": map[string]any{"schema": map[string]any{"type": "string", "format": "binary"}}}}
	}
	if o.Body != nil {
		operation["requestBody"] = map[string]any{"required": true, "content": map[string]any{
			"application/json": map[string]any{"schema": d.schema(reflect.TypeOf(o.Body))}}}
	}
	responses := map[string]any{}
	ok := map[string]any{"description": "OK"}
	if o.Resp != nil {
		ok["content"] = map[string]any{"application/json": map[string]any{"schema": d.schema(reflect.TypeOf(o.Resp))}}
	}
	switch status {
	case 204:
		ok["description"] = "No content"
	case 302:
		ok["description"] = "Redirect to a presigned link (or, with redirect=false, the link as JSON; local storage streams the file with 200)"
	}
	responses[itoa(status)] = ok
	problem := map[string]any{"description": "Problem", "content": map[string]any{
		"application/problem+json": map[string]any{"schema": d.schema(reflect.TypeOf(Problem{}))}}}
	responses["default"] = problem
	operation["responses"] = responses
	if o.Access != anyone {
		operation["security"] = []any{map[string]any{"bearer": []string{}}, map[string]any{"session": []string{}}}
	}
	d.paths[p][strings.ToLower(method)] = operation
}

var timeType = reflect.TypeOf(time.Time{})

func (d *openAPIDoc) schema(t reflect.Type) map[string]any {
	nullable := false
	for t.Kind() == reflect.Pointer {
		t, nullable = t.Elem(), true
	}
	var s map[string]any
	if sc, ok := reflect.Zero(t).Interface().(interface{ OpenAPISchema() map[string]any }); ok {
		s = sc.OpenAPISchema()
		if nullable {
			s["type"] = []any{s["type"], "null"}
		}
		return s
	}
	switch {
	case t == timeType:
		s = map[string]any{"type": "string", "format": "date-time"}
	case t.Kind() == reflect.String:
		s = map[string]any{"type": "string"}
	case t.Kind() == reflect.Bool:
		s = map[string]any{"type": "boolean"}
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64:
		s = map[string]any{"type": "integer"}
	case t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64:
		s = map[string]any{"type": "number"}
	case t.Kind() == reflect.Slice:
		s = map[string]any{"type": "array", "items": d.schema(t.Elem())}
	case t.Kind() == reflect.Map:
		s = map[string]any{"type": "object"}
	case t.Kind() == reflect.Struct:
		name := t.Name()
		if _, ok := d.schemas[name]; !ok {
			d.schemas[name] = map[string]any{} // break recursion
			d.schemas[name] = d.object(t)
		}
		s = map[string]any{"$ref": "#/components/schemas/" + name}
		if nullable {
			return map[string]any{"oneOf": []any{s, map[string]any{"type": "null"}}}
		}
		return s
	default:
		s = map[string]any{}
	}
	if nullable {
		s["type"] = []any{s["type"], "null"}
	}
	return s
}

func (d *openAPIDoc) object(t reflect.Type) map[string]any {
	props := map[string]any{}
	var required []string
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if f.Anonymous {
				walk(f.Type)
				continue
			}
			name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" || !f.IsExported() {
				continue
			}
			if name == "" {
				name = f.Name
			}
			ps := d.schema(f.Type)
			v := f.Tag.Get("validate")
			if strings.Contains(v, "oneof=") {
				_, rest, _ := strings.Cut(v, "oneof=")
				rest, _, _ = strings.Cut(rest, ",")
				ps["enum"] = strings.Fields(rest)
			}
			props[name] = ps
			if strings.HasPrefix(v, "required") || (v == "" && !strings.Contains(opts, "omitempty") && f.Type.Kind() != reflect.Pointer && f.Tag.Get("validate") == "" && isOutput(t)) {
				required = append(required, name)
			}
		}
	}
	walk(t)
	o := map[string]any{"type": "object", "properties": props}
	if len(required) > 0 {
		o["required"] = required
	}
	if !isOutput(t) {
		o["additionalProperties"] = false
	}
	return o
}

// isOutput tells response types (no validate tags anywhere) from request
// types, which refuse unknown fields.
func isOutput(t reflect.Type) bool {
	for i := 0; i < t.NumField(); i++ {
		if t.Field(i).Tag.Get("validate") != "" {
			return false
		}
	}
	return true
}

func (d *openAPIDoc) document(baseURL string) map[string]any {
	paths := map[string]any{}
	for p, ops := range d.paths {
		paths[p] = ops
	}
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{"title": "Tierlink API", "version": "1",
			"description": "Supplier and partner collaboration portal. Errors are RFC 9457 problem+json."},
		"servers": []any{map[string]any{"url": baseURL}},
		"paths":   paths,
		"components": map[string]any{
			"schemas": d.schemas,
			"securitySchemes": map[string]any{
				"bearer":  map[string]any{"type": "http", "scheme": "bearer", "description": "API token from `tierlink token create` or POST /api/v1/tokens"},
				"session": map[string]any{"type": "apiKey", "in": "cookie", "name": "__Host-tierlink_session", "description": "browser session; state-changing calls also need the X-CSRF-Token header"},
			},
		},
	}
}
