package schematype

import "errors"

// ErrEmpty is what the schema's notEmpty validator returns for an empty
// text. Why not ent's NotEmpty: it returns a new untyped error on every
// call, so the domain could tell it only by its message; a sentinel lets
// partners.Error match it with errors.Is.
var ErrEmpty = errors.New("must not be empty")
