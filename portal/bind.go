package portal

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/tierlink/tierlink/partners"
)

var jsonMarshal = json.Marshal

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
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		return v, decodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return v, badRequest{"the body holds more than one JSON value"}
	}
	return v, partners.Validate(v)
}

func decodeError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return badRequest{fmt.Sprintf("malformed JSON at byte %d: %v", syn.Offset, syn)}
	case errors.As(err, &typ) && (strings.HasPrefix(typ.Value, "quantity: ") || strings.HasPrefix(typ.Value, "price: ")):
		_, reason, _ := strings.Cut(typ.Value, ": ")
		return partners.Invalid(typ.Field, reason)
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return badRequest{"the body must be a JSON object"}
		}
		return partners.Invalid(field, "must be "+jsonKind(typ.Type))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest{"malformed JSON: the body ends too early"}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return partners.Invalid(name, "is not a known field")
	}
	var te *time.ParseError
	if errors.As(err, &te) {
		return partners.Invalid("time", "must be an RFC 3339 time like 2026-05-01T09:00:00+08:00")
	}
	return badRequest{"malformed JSON: " + err.Error()}
}

func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int64, reflect.Int32, reflect.Uint, reflect.Uint64:
		return "a whole number"
	case reflect.Float64, reflect.Float32:
		return "a number"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice:
		return "an array"
	case reflect.Map, reflect.Struct:
		if t.String() == "time.Time" {
			return "an RFC 3339 time"
		}
		return "an object"
	case reflect.Pointer:
		return jsonKind(t.Elem())
	}
	return "of type " + t.String()
}

// bindQuery fills T's `query`-tagged fields from the query string; an
// unknown parameter or a malformed number is an error, not ignored.
func bindQuery[T any](c *fiber.Ctx) (T, error) {
	var v T
	rv := reflect.ValueOf(&v).Elem()
	rt := rv.Type()
	fields := map[string]int{}
	for i := 0; i < rt.NumField(); i++ {
		if name := rt.Field(i).Tag.Get("query"); name != "" && name != "-" {
			fields[name] = i
		}
	}
	for k, val := range c.Context().QueryArgs().All() {
		name := string(k)
		i, ok := fields[name]
		if !ok {
			return v, partners.Invalid(name, "is not a known parameter")
		}
		f := rv.Field(i)
		s := string(val)
		if s == "" {
			continue // an empty form field means "not set"
		}
		switch f.Kind() {
		case reflect.String:
			f.SetString(s)
		case reflect.Int:
			n, err := strconv.Atoi(s)
			if err != nil {
				return v, partners.Invalid(name, "must be a whole number")
			}
			f.SetInt(int64(n))
		}
	}
	return v, partners.Validate(v)
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
