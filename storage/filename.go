package storage

import (
	"path"
	"strings"
	"unicode"
	"unicode/utf8"
)

// SanitizeFilename turns an uploaded file name into one that is safe to
// show and to offer in a Content-Disposition header: no directories, no
// control or bidi characters, no leading dots, at most 200 bytes, never
// empty. It is metadata only; object keys never derive from it.
func SanitizeFilename(name string) string {
	name = strings.ToValidUTF8(name, "_")
	name = strings.ReplaceAll(name, "\\", "/")
	name = path.Base(name)
	var b strings.Builder
	for _, r := range name {
		switch {
		case unicode.IsControl(r), r == utf8.RuneError, unicode.Is(unicode.Bidi_Control, r), r == '/', r == ':', r == '*', r == '?', r == '"', r == '<', r == '>', r == '|':
			b.WriteRune('_')
		default:
			b.WriteRune(r)
		}
	}
	out := strings.TrimLeft(strings.TrimSpace(b.String()), ".")
	for len(out) > 200 {
		_, size := utf8.DecodeLastRuneInString(out)
		out = out[:len(out)-size]
	}
	if out == "" || out == "." || out == ".." {
		return "file"
	}
	return out
}
