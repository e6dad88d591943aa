package schematype

import (
	"errors"
	"strconv"
)

// ErrEmpty is what the schema's notEmpty validator returns for an empty
// text. Why not ent's NotEmpty: it returns a new untyped error on every
// call, so the domain could tell it only by its message; a sentinel lets
// partners.Error match it with errors.Is.
var ErrEmpty = errors.New("must not be empty")

// MaxRunesError is what the schema's maxRunes validator returns for a
// text longer than Max characters; typed, so the domain can name the
// limit in the reader's language.
type MaxRunesError struct{ Max int }

func (e *MaxRunesError) Error() string {
	return "must be at most " + strconv.Itoa(e.Max) + " characters"
}
