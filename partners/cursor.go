package partners

import (
	"encoding/base64"
	"encoding/json"
)

// EncodeCursor turns a position into an opaque cursor string.
func EncodeCursor(v any) string {
	b, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeCursor reads a cursor made by EncodeCursor into v.
func DecodeCursor(s string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) > 1024 {
		return Invalid("cursor", "is not a cursor this server issued")
	}
	if err := json.Unmarshal(b, v); err != nil {
		return Invalid("cursor", "is not a cursor this server issued")
	}
	return nil
}

// idCursor is the position of a newest-first page: the last id shown.
type idCursor struct {
	I int `json:"i"`
}

// BeforeID reads a newest-first cursor: the id the next page continues
// below, or 0 for the first page.
func BeforeID(cursor string) (int, error) {
	if cursor == "" {
		return 0, nil
	}
	var c idCursor
	if err := DecodeCursor(cursor, &c); err != nil {
		return 0, err
	}
	return c.I, nil
}

// Trim cuts rows fetched with limit+1 down to limit and returns the
// cursor of the next page ("" on the last page).
func Trim[T any](rows []T, limit int, id func(T) int) ([]T, string) {
	if len(rows) <= limit {
		return rows, ""
	}
	rows = rows[:limit]
	return rows, EncodeCursor(idCursor{I: id(rows[len(rows)-1])})
}

// Limit returns the page size asked for, or def when none was.
func Limit(asked, def int) int {
	if asked <= 0 {
		return def
	}
	return asked
}

// offsetCursor is a place in a computed list: how many rows came before
// it. Lists computed and sorted in memory (the scorecard ranking, the
// status board, the job list) have no stable database key to resume
// from, so they page by offset; each breaks ties by id so that the
// order is the same on every request.
type offsetCursor struct {
	O int `json:"o"`
}

// Offset reads an offset cursor: how many rows to skip ("" skips none).
func Offset(cursor string) (int, error) {
	if cursor == "" {
		return 0, nil
	}
	var c offsetCursor
	if err := DecodeCursor(cursor, &c); err != nil {
		return 0, err
	}
	if c.O <= 0 {
		return 0, Invalid("cursor", "is not a cursor this server issued")
	}
	return c.O, nil
}

// OffsetCursor is the cursor of the page that starts after n rows.
func OffsetCursor(n int) string { return EncodeCursor(offsetCursor{O: n}) }

// PageAt cuts the page that starts at cursor out of rows, with the
// cursor of the next page ("" on the last).
func PageAt[T any](rows []T, cursor string, limit int) ([]T, string, error) {
	off, err := Offset(cursor)
	if err != nil {
		return nil, "", err
	}
	off = min(off, len(rows))
	end := min(off+limit, len(rows))
	next := ""
	if end < len(rows) {
		next = OffsetCursor(end)
	}
	return rows[off:end], next, nil
}
