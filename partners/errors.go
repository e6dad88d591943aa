// Package partners is Tierlink's domain: the partner directory, contacts
// and their ownership, accounts, and (in subpackages) the areas that have a
// vocabulary of their own. Nothing here knows about HTTP.
package partners

import (
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/privacy"
	"github.com/tierlink/tierlink/ent/schematype"
	"github.com/tierlink/tierlink/partners/i18n"
)

// Code classifies a domain error; the transport maps each to one status.
type Code string

// Error codes.
const (
	EInvalid         Code = "invalid"
	ENotFound        Code = "not_found"
	EConflict        Code = "conflict"
	EForbidden       Code = "forbidden"
	EUnauthenticated Code = "unauthenticated"
	ERateLimited     Code = "rate_limited"
	ETooLarge        Code = "too_large"
	EUnsupported     Code = "unsupported"
	ELengthRequired  Code = "length_required"
	EInternal        Code = "internal"
)

// FieldError says what is wrong with one input field. Reason is the
// English text (logs, and the API's default); Msg is the same reason as
// a catalogue key with its arguments, which the portal renders in the
// reader's language.
type FieldError struct {
	Field  string       `json:"field"`
	Reason string       `json:"reason"`
	Msg    i18n.Message `json:"-"`
}

// Because is a field error whose reason is the catalogue message m; its
// Reason is m in English.
func Because(field string, m i18n.Message) FieldError {
	return FieldError{Field: field, Reason: i18n.For(i18n.English).Render(m), Msg: m}
}

// Text is the reason in l's language: the catalogue message where there
// is one, else the English Reason.
func (f FieldError) Text(l *i18n.Localizer) string {
	if f.Msg.Key == "" {
		return f.Reason
	}
	return l.Render(f.Msg)
}

// Error is a domain error meant to be shown to the caller. Msg, when
// set, is Message as a catalogue message, for readers of other languages.
type Error struct {
	Code    Code
	Message string
	Msg     i18n.Message
	Fields  []FieldError
}

func (e *Error) Error() string {
	if len(e.Fields) == 0 {
		return e.Message
	}
	return fmt.Sprintf("%s: %s %s", e.Message, e.Fields[0].Field, e.Fields[0].Reason)
}

// Errorf returns an Error with the given code.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Fail returns an error with the given code whose message is the
// catalogue message m (its English text is Message).
func Fail(code Code, m i18n.Message) *Error {
	return &Error{Code: code, Message: i18n.For(i18n.English).Render(m), Msg: m}
}

// Invalid returns an invalid-input error naming one field. The reason is
// English text that the catalogue holds under a "reason." key (the
// catalogue's English text is the lookup), so a reader of another
// language gets it translated; TestEveryInvalidReasonIsInTheCatalogue
// fails on a reason the catalogue lacks. A reason with arguments is
// given with InvalidBecause.
func Invalid(field, reason string) *Error {
	fe := FieldError{Field: field, Reason: reason}
	if key, ok := ReasonKey(reason); ok {
		fe.Msg = i18n.M(key)
	}
	return &Error{Code: EInvalid, Message: "invalid input", Fields: []FieldError{fe}}
}

// InvalidBecause returns an invalid-input error naming one field, the
// reason a catalogue message (a "reason." key with its arguments).
func InvalidBecause(field string, m i18n.Message) *Error {
	return &Error{Code: EInvalid, Message: "invalid input", Fields: []FieldError{Because(field, m)}}
}

// ReasonPrefix begins the catalogue key of every field reason.
const ReasonPrefix = "reason."

// R starts a reason message of key ("reason." is prefixed) with
// arguments given as name, value pairs.
func R(key string, kv ...any) i18n.Message {
	m := i18n.M(ReasonPrefix + key)
	for i := 0; i+1 < len(kv); i += 2 {
		m = m.With(kv[i].(string), kv[i+1])
	}
	return m
}

var (
	reasonKeysOnce sync.Once
	reasonKeys     map[string]string // English text → key
)

// ReasonKey finds the "reason." key whose English text is reason.
func ReasonKey(reason string) (string, bool) {
	reasonKeysOnce.Do(func() {
		reasonKeys = map[string]string{}
		en := i18n.For(i18n.English)
		for _, k := range i18n.Keys(i18n.English) {
			if strings.HasPrefix(k, ReasonPrefix) {
				if text := en.T(k, nil); !strings.Contains(text, "{{") && !strings.Contains(text, "<no value>") {
					reasonKeys[text] = k
				}
			}
		}
	})
	k, ok := reasonKeys[reason]
	return k, ok
}

// Ref maps the error of loading a record an input names by id: not found
// (another partner's record, hidden by privacy, reads the same) becomes
// Invalid(field, reason); any other error, a database failure say, passes
// through. A record that loads but may not be linked should get the same
// Invalid(field, reason), so it cannot be told from a missing one.
func Ref(field, reason string, err error) error {
	if ent.IsNotFound(err) {
		return Invalid(field, reason)
	}
	return err
}

// RefBecause is Ref with the reason a catalogue message.
func RefBecause(field string, m i18n.Message, err error) error {
	if ent.IsNotFound(err) {
		return InvalidBecause(field, m)
	}
	return err
}

// NotFound returns a not-found error for a kind of record.
func NotFound(what string) *Error { return Errorf(ENotFound, "%s not found", what) }

// ErrorCode returns the code of err, mapping ent's own errors: a record
// hidden by privacy and a missing one look the same to the caller.
func ErrorCode(err error) Code {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Code
	case ent.IsNotFound(err):
		return ENotFound
	case errors.Is(err, privacy.Deny):
		return EForbidden
	case ent.IsConstraintError(err):
		return EConflict
	case ent.IsValidationError(err):
		return EInvalid
	}
	return EInternal
}

// ErrorMessage returns the caller-safe message of err.
func ErrorMessage(err error) string {
	var e *Error
	switch {
	case errors.As(err, &e):
		return e.Message
	case ent.IsNotFound(err):
		return "not found"
	case errors.Is(err, privacy.Deny):
		return "not allowed for your role"
	case ent.IsConstraintError(err):
		return "conflicts with an existing record"
	case ent.IsValidationError(err):
		var ve *ent.ValidationError
		if errors.As(err, &ve) {
			return "invalid " + ve.Name
		}
		return "invalid input"
	}
	return "internal error"
}

// ErrorFields returns the per-field reasons carried by err, if any.
func ErrorFields(err error) []FieldError {
	var e *Error
	if errors.As(err, &e) {
		return e.Fields
	}
	var ve *ent.ValidationError
	if errors.As(err, &ve) {
		return []FieldError{entField(ve)}
	}
	return nil
}

// entField names the field of an ent validation error as the caller knows
// it, the JSON key, and gives the validator's own reason ("must be at most
// 200 characters") rather than ent's wrapping of it, which names the
// record's Go type ("validator failed for field \"Partner.name\"").
// Request types carry the same limits as ent/schema, so this is a
// backstop. Ent's field names are the JSON keys but where entJSONKey says
// otherwise.
func entField(ve *ent.ValidationError) FieldError {
	field := ve.Name
	if key, ok := entJSONKey[field]; ok {
		field = key
	}
	var mr *schematype.MaxRunesError
	switch inner := errors.Unwrap(ve.Unwrap()); {
	case inner == nil:
		// ent reports a missing field (or edge) with an error that wraps
		// nothing, and a failed validator by wrapping the validator's.
		return Because(field, R("required"))
	case errors.Is(inner, schematype.ErrEmpty):
		return Because(field, R("not_empty"))
	case errors.As(inner, &mr):
		return Because(field, R("max_chars", "Max", mr.Max))
	default:
		return Invalid(field, inner.Error()).Fields[0]
	}
}

// entJSONKey maps an ent field to the JSON key of the request field it is
// set from, for the fields spelled differently in the two (each name is
// one record's: ChangeRequest, Group, OrderLine).
var entJSONKey = map[string]string{
	"decision_reason": "reason",
	"digest_spec":     "digest_schedule",
	"reject_reason":   "reason",
}
