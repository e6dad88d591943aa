package portal

import (
	"encoding/json"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/gofiber/fiber/v2"

	"github.com/tierlink/tierlink/partners"
)

// formOptions says what a page's form holds beside what the visitor types.
type formOptions struct {
	// Fixed are values the route decides (a contact id from the path);
	// they override anything posted under the same name.
	Fixed map[string]any
	// Keys name the fields of a list's rows that the page fills in
	// itself (an order line's line_no): a row whose other values are all
	// blank is a spare row the visitor left empty, and is left out.
	Keys []string
	// Required names fields the form always shows, so that a blank one
	// is missing even where the input type leaves it optional (a patch).
	Required []string
	// Extra, a pointer to a struct with json tags, receives the page's
	// own fields (where to go after logging in), which are no part of
	// the service input. It is kept in the request's locals, so the page
	// shown again after a refusal can read it too.
	Extra any
}

const localFormExtra = "form.extra"

// formCSRF is the hidden field carrying the session's CSRF token; the
// middleware reads it, the binder passes over it.
const formCSRF = "_csrf"

var rowKey = regexp.MustCompile(`^([a-z0-9_]+)\[(\d{1,4})\]\.([a-z0-9_]+)$`)

// bindForm decodes an HTML form into T with the API's names, decoder and
// validation: the form becomes the JSON object the API route would
// receive (field names are T's json names; a list of objects is posted
// as lines[0].item_code, …, or column by column as a repeated item_code;
// a list of numbers as repeated values), and
// that object goes through decodeStrict. So a bad value gets the same
// field and reason on a page as from the API, by construction.
func bindForm[T any](c *fiber.Ctx, zone *time.Location, o formOptions) (T, error) {
	var zero T
	ct := strings.ToLower(strings.TrimSpace(strings.Split(c.Get(fiber.HeaderContentType), ";")[0]))
	if ct != fiber.MIMEApplicationForm && len(c.Body()) > 0 {
		// An empty body is an empty form whatever its type says.
		return zero, fiber.NewError(fiber.StatusUnsupportedMediaType, "send the form as application/x-www-form-urlencoded")
	}
	vals, err := url.ParseQuery(string(c.Body()))
	if err != nil {
		return zero, badRequest{"the form body is malformed: " + err.Error()}
	}
	var extraErr error
	if o.Extra != nil {
		// Read first, so a refusal of the rest still knows them;
		// reported after the rest.
		extraErr = bindExtra(c, o.Extra, vals, zone)
	}
	obj, err := formObject(reflect.TypeOf(zero), vals, zone, o.Keys)
	if err != nil {
		return zero, err
	}
	for k, v := range o.Fixed {
		if _, posted := vals[k]; posted {
			// The route gives this field (from its path); the form has
			// no such field.
			return zero, partners.InvalidBecause(k, partners.R("unknown_field"))
		}
		obj[k] = v
	}
	body, err := json.Marshal(obj)
	if err != nil {
		return zero, err
	}
	v, err := decodeStrict[T](body)
	if err != nil {
		return v, err
	}
	// What the API would refuse is reported first, as the API reports
	// it; then the fields this form must not leave blank.
	var missing []partners.FieldError
	for _, name := range o.Required {
		if strings.TrimSpace(vals.Get(name)) == "" {
			missing = append(missing, partners.Because(name, partners.R("required")))
		}
	}
	if len(missing) > 0 {
		return v, &partners.Error{Code: partners.EInvalid, Message: "invalid input", Fields: missing}
	}
	return v, extraErr
}

// bindExtra moves the page's own fields out of vals into extra.
func bindExtra(c *fiber.Ctx, extra any, vals url.Values, zone *time.Location) error {
	own := url.Values{}
	for name := range jsonFields(reflect.TypeOf(extra)) {
		if v, ok := vals[name]; ok {
			own[name] = v
			delete(vals, name)
		}
	}
	obj, err := formObject(reflect.TypeOf(extra), own, zone, nil)
	if err != nil {
		return err
	}
	body, err := json.Marshal(obj)
	if err != nil {
		return err
	}
	err = jsonv2.Unmarshal(body, extra, jsonDecode)
	c.Locals(localFormExtra, extra)
	if err != nil {
		return decodeError(err)
	}
	return partners.Validate(extra)
}

// formObject turns form values into the JSON object of type t.
func formObject(t reflect.Type, vals url.Values, zone *time.Location, keys []string) (map[string]any, error) {
	fields := jsonFields(t)
	obj := map[string]any{}
	rows := map[string]map[int]map[string]string{} // list → index → field → value
	for name, vs := range vals {
		if name == formCSRF {
			continue
		}
		if m := rowKey.FindStringSubmatch(name); m != nil {
			if f, ok := fields[m[1]]; ok && f.Kind() == reflect.Slice && f.Elem().Kind() == reflect.Struct {
				i, _ := strconv.Atoi(m[2])
				if rows[m[1]] == nil {
					rows[m[1]] = map[int]map[string]string{}
				}
				if rows[m[1]][i] == nil {
					rows[m[1]][i] = map[string]string{}
				}
				rows[m[1]][i][m[3]] = vs[len(vs)-1]
				continue
			}
		}
		f, ok := fields[name]
		if list, col := columnOf(fields, name); !ok && col {
			// A table of inputs posts each column under one repeated
			// name: the i-th value belongs to row i.
			if rows[list] == nil {
				rows[list] = map[int]map[string]string{}
			}
			for i, v := range vs {
				if rows[list][i] == nil {
					rows[list][i] = map[string]string{}
				}
				rows[list][i][name] = v
			}
			continue
		}
		if !ok {
			obj[name] = vs[len(vs)-1] // decodeStrict names it as an unknown field
			continue
		}
		if f.Kind() == reflect.Slice && f.Elem().Kind() != reflect.Struct {
			list := []any{}
			for _, v := range vs {
				if v = strings.TrimSpace(v); v != "" {
					list = append(list, formValue(f.Elem(), v, zone))
				}
			}
			obj[name] = list
			continue
		}
		// A repeated name keeps its last value: a hidden "false" before
		// a checkbox that sends "true" when ticked.
		v := vs[len(vs)-1]
		if v == "" && f.Kind() != reflect.String && (f.Kind() != reflect.Pointer || f.Elem().Kind() != reflect.String) {
			continue // an empty field means "not given"
		}
		obj[name] = formValue(f, v, zone)
	}
	for name, byIndex := range rows {
		elem := jsonFields(fields[name].Elem())
		idx := make([]int, 0, len(byIndex))
		for i := range byIndex {
			idx = append(idx, i)
		}
		slices.Sort(idx)
		list := []any{}
		for _, i := range idx {
			row, blank := map[string]any{}, true
			for k, v := range byIndex[i] {
				if v != "" && !slices.Contains(keys, k) {
					blank = false
				}
				f, ok := elem[k]
				switch {
				case !ok:
					row[k] = v
				case v != "" || f.Kind() == reflect.String:
					row[k] = formValue(f, v, zone)
				}
			}
			if !blank {
				list = append(list, row)
			}
		}
		obj[name] = list
	}
	return obj, nil
}

// columnOf finds the one list of objects whose rows have a field name,
// for a form that posts a table column by column.
func columnOf(fields map[string]reflect.Type, name string) (string, bool) {
	found := ""
	for list, t := range fields {
		if t.Kind() != reflect.Slice || t.Elem().Kind() != reflect.Struct {
			continue
		}
		if _, ok := jsonFields(t.Elem())[name]; ok {
			if found != "" {
				return "", false // ambiguous: two lists have it
			}
			found = list
		}
	}
	return found, found != ""
}

// jsonFields maps the JSON names of struct t's fields to their types,
// following embedded structs as encoding/json does.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return out
	}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.Anonymous && name == "" {
			for k, v := range jsonFields(f.Type) {
				out[k] = v
			}
			continue
		}
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}

var unmarshalerType = reflect.TypeOf((*json.Unmarshaler)(nil)).Elem()

// formValue is a form text as the JSON value a client would send for a
// field of type t. Text that is no such value is passed on as a string,
// so the decoder refuses it with the API's reason ("must be a whole
// number").
func formValue(t reflect.Type, v string, zone *time.Location) any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == timeType:
		// A datetime-local field, in the company's zone.
		if tm, err := time.ParseInLocation("2006-01-02T15:04", v, zone); err == nil {
			return tm.Format(time.RFC3339)
		}
		return v
	case reflect.PointerTo(t).Implements(unmarshalerType):
		v = strings.TrimSpace(v)
		if json.Valid([]byte(v)) {
			return json.RawMessage(v)
		}
		return v
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		if json.Valid([]byte(strings.TrimSpace(v))) {
			return json.RawMessage(strings.TrimSpace(v))
		}
	case reflect.Bool:
		switch v {
		case "true", "1", "on":
			return true
		case "false", "0":
			return false
		}
	}
	return v
}

// formState is what a page shows again when its form was refused: the
// values as typed, and each field's reason.
type formState struct {
	Values url.Values
	Errors map[string]string
}

// Value is what the visitor typed into name.
func (f formState) Value(name string) string { return f.Values.Get(name) }

// Error is why name was refused, or "".
func (f formState) Error(name string) string { return f.Errors[name] }

// Refused says whether the page shows a refused form.
func (f formState) Refused() bool { return f.Values != nil }

const localForm = "form"

// formRefused is the form state of a request whose form was refused.
func formRefused(c *fiber.Ctx) (formState, *Problem) {
	st, _ := c.Locals(localForm).(formState)
	p, _ := c.Locals(localForm + ".problem").(*Problem)
	return st, p
}

// withForm runs a form's handler; when it refuses the input (invalid or
// conflicting, or a form that cannot be read), back renders the page
// that holds the form again, with the typed values and the reasons, in
// the status the API would answer. Any other error, a database failure
// included, goes to the error handler and its one status table.
func (s *Server) withForm(h, back fiber.Handler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		err := h(c)
		if err == nil || back == nil {
			return err
		}
		if !canRefuse(err) {
			return err
		}
		p := s.problemFor(c, err)
		vals, _ := url.ParseQuery(string(c.Body()))
		vals.Del(formCSRF)
		st := formState{Values: vals, Errors: map[string]string{}}
		for _, fe := range p.Errors {
			st.Errors[fe.Field] = fe.Reason
		}
		c.Locals(localForm, st)
		c.Locals(localForm+".problem", &p)
		if berr := back(c); berr != nil {
			// The page cannot be shown again (say the form names no
			// order): the error page shows the refusal instead.
			return err
		}
		return nil
	}
}
