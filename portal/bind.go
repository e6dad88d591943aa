package portal

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	jsonv1 "github.com/go-json-experiment/json/v1"
	"github.com/gofiber/fiber/v2"

	"github.com/tierlink/tierlink/partners"
	"github.com/tierlink/tierlink/partners/i18n"
	"github.com/tierlink/tierlink/partners/orders"
)

// fiberStatusText is the standard reason phrase of a status code.
func fiberStatusText(code int) string { return fiber.NewError(code).Message }

// bind decodes a JSON body strictly (unknown fields and trailing data are
// refused) and runs the validator, so no handler repeats either.
func bind[T any](c *fiber.Ctx) (T, error) {
	var v T
	ct := strings.ToLower(strings.TrimSpace(strings.Split(c.Get(fiber.HeaderContentType), ";")[0]))
	if ct != fiber.MIMEApplicationJSON {
		return v, fiber.NewError(fiber.StatusUnsupportedMediaType, "send the body as application/json")
	}
	body := c.Body()
	if len(bytes.TrimSpace(body)) == 0 {
		return v, badRequest{"the request body is empty; send a JSON object"}
	}
	return decodeStrict[T](body)
}

// decodeStrict decodes one JSON object into T, refusing unknown fields
// and trailing data, and validates it: the one decoder of the API's
// bodies and the pages' forms (bindForm), so both report the same fields
// and reasons. It is encoding/json's behaviour (the v1 options of the Go
// team's json v2 experiment) with one change that matters here: its
// errors are typed and carry the JSON path, so an unknown member, a
// wrong type and a refused decimal are told apart by type, never by text,
// and a field inside a list is named with its index (lines[2].quantity).
func decodeStrict[T any](body []byte) (T, error) {
	var v T
	if err := jsonv2.Unmarshal(body, &v, jsonDecode); err != nil {
		// The decoder stops at the first member it refuses, which may
		// come before the body breaks off: a body that is not JSON is
		// told as such first, whatever its members.
		if serr := jsonv2.Unmarshal(body, new(jsontext.Value)); serr != nil {
			return v, decodeError(serr)
		}
		return v, decodeError(err)
	}
	return v, partners.Validate(v)
}

// jsonDecode is encoding/json's decoding with unknown members refused and
// errors reported as typed v2 errors (the legacy ones are plain text).
var jsonDecode = jsonv2.JoinOptions(jsonv1.DefaultOptionsV1(), jsonv2.RejectUnknownMembers(true),
	jsonv1.ReportErrorsWithLegacySemantics(false))

// decodeError maps the decoder's typed errors to the API's: a body that
// is not JSON is a 400, a member that is wrong is a 422 naming it.
func decodeError(err error) error {
	var syn *jsontext.SyntacticError
	var sem *jsonv2.SemanticError
	var dec *orders.DecimalError
	var te *time.ParseError
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest{"malformed JSON: the body ends too early"}
	case errors.As(err, &syn):
		return badRequest{fmt.Sprintf("malformed JSON at byte %d: %v", syn.ByteOffset, syn.Err)}
	case !errors.As(err, &sem):
		return badRequest{"malformed JSON: " + err.Error()}
	}
	field := jsonField(sem.JSONPointer)
	switch {
	case errors.Is(err, jsonv2.ErrUnknownName):
		return partners.InvalidBecause(field, partners.R("unknown_field"))
	case errors.As(err, &dec):
		return partners.InvalidBecause(field, dec.Msg())
	case errors.As(err, &te):
		return partners.InvalidBecause(field, partners.R("rfc3339_time"))
	case field == "":
		return badRequest{"the body must be a JSON object"}
	case sem.GoType != nil:
		return partners.InvalidBecause(field, jsonKind(sem.GoType))
	}
	return partners.InvalidBecause(field, partners.R("not_valid_here"))
}

// jsonField names the member a JSON pointer points at the way the API's
// field errors do: /lines/2/quantity is lines[2].quantity.
func jsonField(p jsontext.Pointer) string {
	var b strings.Builder
	for tok := range p.Tokens() {
		if _, err := strconv.Atoi(tok); err == nil && b.Len() > 0 {
			b.WriteString("[" + tok + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(tok)
	}
	return b.String()
}

// jsonKind is the reason a JSON value of the wrong type gets: what a
// field of type t must be.
func jsonKind(t reflect.Type) i18n.Message {
	switch t.Kind() {
	case reflect.String:
		return partners.R("must_be_string")
	case reflect.Int, reflect.Int64, reflect.Int32, reflect.Uint, reflect.Uint64:
		return partners.R("must_be_whole_number")
	case reflect.Float64, reflect.Float32:
		return partners.R("must_be_number")
	case reflect.Bool:
		return partners.R("must_be_bool")
	case reflect.Slice:
		return partners.R("must_be_array")
	case reflect.Map, reflect.Struct:
		if t.String() == "time.Time" {
			return partners.R("rfc3339_time")
		}
		return partners.R("must_be_object")
	case reflect.Pointer:
		return jsonKind(t.Elem())
	}
	return partners.R("must_be_type", "Type", t.String())
}

// queryError is why a query value could not be read.
type queryError struct{ m i18n.Message }

func (e queryError) Error() string { return i18n.For(i18n.English).Render(e.m) }

// bindQuery fills T's `query`-tagged fields from the query string; an
// unknown parameter, a repeated one or a malformed value is an error,
// never ignored.
func bindQuery[T any](c *fiber.Ctx) (T, error) {
	var v T
	plan := queryPlanOf(reflect.TypeOf(v))
	rv := reflect.ValueOf(&v).Elem()
	seen := map[string]bool{}
	var err error
	for k, val := range c.Context().QueryArgs().All() {
		name := string(k)
		f, ok := plan[name]
		if !ok {
			return v, partners.InvalidBecause(name, partners.R("unknown_parameter"))
		}
		if seen[name] {
			return v, partners.InvalidBecause(name, partners.R("repeated_parameter"))
		}
		seen[name] = true
		if len(val) == 0 {
			continue // an empty form field means "not set"
		}
		fv := rv.FieldByIndex(f.index)
		if err = f.set(fv, string(val)); err != nil {
			return v, partners.InvalidBecause(name, err.(queryError).m)
		}
		// validate's omitempty reads an explicit 0 as "not given";
		// a number below the minimum that was given is refused here.
		if f.min != nil && fv.Kind() == reflect.Int && fv.Int() < *f.min {
			return v, partners.InvalidBecause(name, partners.R("min_value", "Min", *f.min))
		}
	}
	return v, partners.Validate(v)
}

// queryField is one bindable field of a query struct.
type queryField struct {
	index []int
	set   func(reflect.Value, string) error
	min   *int64 // a given number's least value, from validate's min=
}

var queryPlans sync.Map // reflect.Type → map[string]queryField

// queryPlanOf reads a query struct's fields once. A field the binder
// cannot set is a programming error: it panics, which happens when the
// route is registered (see api.handle), so such a struct never reaches
// a request and is never silently dropped.
func queryPlanOf(t reflect.Type) map[string]queryField {
	if p, ok := queryPlans.Load(t); ok {
		return p.(map[string]queryField)
	}
	if t.Kind() != reflect.Struct {
		panic(fmt.Sprintf("query type %s is not a struct", t))
	}
	plan := map[string]queryField{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name := f.Tag.Get("query")
		if name == "" || name == "-" {
			continue
		}
		set := querySetter(f.Type)
		if set == nil {
			panic(fmt.Sprintf("query field %s.%s (%s) has a type the query binder cannot set", t, f.Name, f.Type))
		}
		if _, dup := plan[name]; dup {
			panic(fmt.Sprintf("query parameter %q is declared twice in %s", name, t))
		}
		qf := queryField{index: f.Index, set: set}
		for _, r := range strings.Split(f.Tag.Get("validate"), ",") {
			if v, ok := strings.CutPrefix(r, "min="); ok {
				if n, err := strconv.ParseInt(v, 10, 64); err == nil {
					qf.min = &n
				}
			}
		}
		plan[name] = qf
	}
	queryPlans.Store(t, plan)
	return plan
}

// querySetter parses a text value into a value of type t, or is nil when
// t is not a type a query string can carry.
func querySetter(t reflect.Type) func(reflect.Value, string) error {
	if t.Kind() == reflect.Pointer {
		inner := querySetter(t.Elem())
		if inner == nil {
			return nil
		}
		return func(v reflect.Value, s string) error {
			p := reflect.New(t.Elem())
			if err := inner(p.Elem(), s); err != nil {
				return err
			}
			v.Set(p)
			return nil
		}
	}
	switch t.Kind() {
	case reflect.String:
		return func(v reflect.Value, s string) error { v.SetString(s); return nil }
	case reflect.Bool:
		return func(v reflect.Value, s string) error {
			switch s {
			case "true":
				v.SetBool(true)
			case "false":
				v.SetBool(false)
			default:
				return queryError{partners.R("must_be_bool")}
			}
			return nil
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return func(v reflect.Value, s string) error {
			n, err := strconv.ParseInt(s, 10, t.Bits())
			if err != nil {
				return queryError{partners.R("must_be_whole_number")}
			}
			v.SetInt(n)
			return nil
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return func(v reflect.Value, s string) error {
			n, err := strconv.ParseUint(s, 10, t.Bits())
			if err != nil {
				return queryError{partners.R("must_be_unsigned")}
			}
			v.SetUint(n)
			return nil
		}
	}
	return nil
}

// pathID reads a positive integer path parameter; anything else names no
// record, so it is a 404, like an id that does not exist.
func pathID(c *fiber.Ctx, name string) (int, error) {
	n, err := strconv.Atoi(c.Params(name))
	if err != nil || n <= 0 {
		return 0, partners.NotFound("record")
	}
	return n, nil
}
