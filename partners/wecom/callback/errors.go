package callback

import (
	"errors"
	"fmt"
)

// Kind says which check a callback failed, so the HTTP layer can answer
// each clearly.
type Kind int

// Kinds of failure.
const (
	// KindMalformed: the request or its content cannot be read (bad
	// base64, truncated ciphertext, bad padding, a length that does not
	// fit, bad XML, a missing field).
	KindMalformed Kind = iota + 1
	// KindSignature: msg_signature does not match.
	KindSignature
	// KindStale: the timestamp is outside the allowed window.
	KindStale
	// KindReceiver: the decrypted receiveid is not our corp id.
	KindReceiver
)

func (k Kind) String() string {
	switch k {
	case KindMalformed:
		return "malformed"
	case KindSignature:
		return "bad signature"
	case KindStale:
		return "stale timestamp"
	case KindReceiver:
		return "wrong receiveid"
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Error is every failure this package returns for a callback.
type Error struct {
	Kind Kind
	// Reason narrows a malformed request down ("bad padding"); empty
	// for the other kinds.
	Reason string
	// Detail names what was wrong where that helps (the missing field);
	// errors.Is ignores it.
	Detail string
}

func (e *Error) Error() string {
	s := "wecom callback: " + e.Kind.String()
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	if e.Detail != "" {
		s += " (" + e.Detail + ")"
	}
	return s
}

// Is matches a sentinel of the same kind whose Reason is empty or equal,
// so errors.Is(err, ErrMalformed) holds for every malformed request and
// errors.Is(err, ErrBadPadding) only for bad padding.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Kind == e.Kind && (t.Reason == "" || t.Reason == e.Reason)
}

// Sentinels for errors.Is.
var (
	ErrMalformed      = &Error{Kind: KindMalformed}
	ErrBadSignature   = &Error{Kind: KindSignature}
	ErrStaleTimestamp = &Error{Kind: KindStale}
	ErrWrongReceiver  = &Error{Kind: KindReceiver}

	ErrBadBase64    = malformed("bad base64")
	ErrTruncated    = malformed("ciphertext is not a whole number of blocks")
	ErrBadPadding   = malformed("bad padding")
	ErrBadLength    = malformed("message length does not fit")
	ErrBadXML       = malformed("bad XML")
	ErrMissingField = malformed("missing field")
	ErrBadTimestamp = malformed("timestamp is not a number of seconds")
	ErrTooLarge     = malformed("too large")
)

func malformed(reason string) *Error { return &Error{Kind: KindMalformed, Reason: reason} }

// fail returns a fresh copy of a sentinel with detail, so no caller can
// change a sentinel through the error it was given.
func fail(sentinel *Error, detail string) *Error {
	e := *sentinel
	e.Detail = detail
	return &e
}

// KindOf returns the Kind of a callback error, or 0 for anything else.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return 0
}
