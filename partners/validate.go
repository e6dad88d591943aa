package partners

import (
	"errors"
	"reflect"
	"regexp"
	"strings"
	"time"

	"github.com/go-playground/validator/v10"

	"github.com/tierlink/tierlink/partners/i18n"
)

var codeRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

var validate = func() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	// Report fields by the name callers use: the JSON key, else the query
	// or CSV column name.
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		for _, tag := range []string{"json", "query", "form", "csv"} {
			if name, _, _ := strings.Cut(f.Tag.Get(tag), ","); name != "" && name != "-" {
				return name
			}
		}
		return f.Name
	})
	_ = v.RegisterValidation("partnercode", func(fl validator.FieldLevel) bool {
		return codeRE.MatchString(fl.Field().String())
	})
	return v
}()

// Validate runs the validate tags of a request struct and returns an
// invalid-input Error naming each bad field and why.
func Validate(s any) error {
	err := validate.Struct(s)
	if err == nil {
		return nil
	}
	var verrs validator.ValidationErrors
	if !errors.As(err, &verrs) {
		return Errorf(EInvalid, "invalid input: %v", err)
	}
	e := &Error{Code: EInvalid, Message: "invalid input"}
	for _, fe := range verrs {
		// Namespace is "Type.field[0]"; drop the type.
		field := fe.Namespace()
		if _, rest, ok := strings.Cut(field, "."); ok {
			field = rest
		}
		e.Fields = append(e.Fields, Because(field, reason(fe)))
	}
	return e
}

// reason is why a validator tag refused a field, as a catalogue message.
func reason(fe validator.FieldError) i18n.Message {
	param := fe.Param()
	switch fe.Tag() {
	case "required":
		return R("required")
	case "max":
		switch fe.Kind() {
		case reflect.String:
			return R("max_chars", "Max", param)
		case reflect.Slice:
			return R("max_items", "Max", param)
		}
		return R("max_value", "Max", param)
	case "min":
		switch fe.Kind() {
		case reflect.String:
			return R("min_chars", "Min", param)
		case reflect.Slice:
			return R("min_items", "Min", param)
		}
		return R("min_value", "Min", param)
	case "oneof":
		return R("oneof", "Values", strings.ReplaceAll(param, " ", ", "))
	case "email":
		return R("email")
	case "timezone":
		return R("timezone")
	case "partnercode":
		return R("partner_code")
	case "url":
		return R("url")
	case "gt":
		return R("more_than", "Min", param)
	case "gte":
		return R("min_value", "Min", param)
	case "len":
		return R("len_chars", "Len", param)
	case "datetime":
		return R("date")
	case "alpha":
		return R("alpha")
	case "required_without":
		return R("required_without", "Other", param)
	case "excluded_with":
		return R("excluded_with", "Other", param)
	}
	return R("fails", "Tag", fe.Tag())
}

// ParseDate reads a YYYY-MM-DD input field; empty means not given.
func ParseDate(field, v string) (*time.Time, error) {
	if v == "" {
		return nil, nil
	}
	t, err := time.Parse("2006-01-02", v)
	if err != nil {
		return nil, InvalidBecause(field, R("date"))
	}
	return &t, nil
}

// IDOrNil turns an optional id (0 for none) into what ent's nillable
// setters take.
func IDOrNil(id int) *int {
	if id == 0 {
		return nil
	}
	return &id
}
