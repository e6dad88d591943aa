package schema

import (
	"unicode/utf8"

	"github.com/tierlink/tierlink/ent/schematype"
)

// maxRunes returns a validator refusing text longer than n characters.
//
// Why not ent's MaxLen: it counts bytes, so a Chinese name of 67
// characters (201 bytes in UTF-8) failed a limit of 200 that the API, the
// CSV importer and the docs state in characters. Every text limit here
// counts runes (Unicode code points), as go-playground's max and
// PostgreSQL's varchar(n) do: 华 and 😀 are one each, while e followed by
// a combining acute accent (U+0301) is two. The request types carry the
// same numbers in their validate tags, so the API refuses an over-long
// value naming its JSON field before ent sees it; this check is the
// backstop. The columns themselves are unbounded (PostgreSQL character
// varying without a length, SQLite text), so the limit lives here only.
func maxRunes(n int) func(string) error {
	return func(s string) error {
		if utf8.RuneCountInString(s) > n {
			return &schematype.MaxRunesError{Max: n}
		}
		return nil
	}
}

// notEmpty refuses an empty text with schematype.ErrEmpty (see there for
// why not ent's NotEmpty).
func notEmpty(s string) error {
	if s == "" {
		return schematype.ErrEmpty
	}
	return nil
}
