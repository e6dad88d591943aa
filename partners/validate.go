package partners

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"time"

	"github.com/go-playground/validator/v10"
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
		e.Fields = append(e.Fields, FieldError{Field: field, Reason: reason(fe)})
	}
	return e
}

func reason(fe validator.FieldError) string {
	switch fe.Tag() {
	case "required":
		return "is required"
	case "max":
		if fe.Kind() == reflect.String {
			return fmt.Sprintf("must be at most %s characters", fe.Param())
		}
		if fe.Kind() == reflect.Slice {
			return fmt.Sprintf("must have at most %s items", fe.Param())
		}
		return "must be at most " + fe.Param()
	case "min":
		if fe.Kind() == reflect.String {
			return fmt.Sprintf("must be at least %s characters", fe.Param())
		}
		if fe.Kind() == reflect.Slice {
			return fmt.Sprintf("must have at least %s items", fe.Param())
		}
		return "must be at least " + fe.Param()
	case "oneof":
		return "must be one of: " + strings.ReplaceAll(fe.Param(), " ", ", ")
	case "email":
		return "must be an e-mail address"
	case "timezone":
		return "must be an IANA time zone such as Asia/Shanghai"
	case "partnercode":
		return "may hold only letters, digits, '.', '_' and '-', starting with a letter or digit"
	case "url":
		return "must be a URL"
	case "gt":
		if fe.Param() == "0" {
			return "must be more than 0"
		}
		return "must be more than " + fe.Param()
	case "gte":
		return "must be at least " + fe.Param()
	case "len":
		return fmt.Sprintf("must be exactly %s characters long", fe.Param())
	case "datetime":
		return "must be a date like 2026-12-31"
	case "alpha":
		return "may hold only letters"
	case "required_without":
		return "is required unless " + fe.Param() + " is given"
	case "excluded_with":
		return "must not be given together with " + fe.Param()
	}
	return "fails " + fe.Tag()
}

// ParseDate reads a YYYY-MM-DD input field; empty means not given.
func ParseDate(field, v string) (*time.Time, error) {
	if v == "" {
		return nil, nil
	}
	t, err := time.Parse("2006-01-02", v)
	if err != nil {
		return nil, Invalid(field, "must be a date like 2026-12-31")
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
