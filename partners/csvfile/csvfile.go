// Package csvfile reads and writes the CSV files of Tierlink's imports and
// exports, as spreadsheets write and read them: UTF-8 (with or without a
// byte-order mark) or GB18030/GBK, as Chinese Excel saves "CSV (逗号分隔)";
// every problem named by line and column; cells that spreadsheets would
// run as formulas written as text.
package csvfile

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/tierlink/tierlink/partners"
	"github.com/tierlink/tierlink/partners/i18n"
)

// Encoding names a file's character encoding.
type Encoding string

// Encodings. Detect (the zero value) decides from the file's bytes.
const (
	Detect  Encoding = ""
	UTF8    Encoding = "utf-8"
	GB18030 Encoding = "gb18030" // also reads GBK and GB2312, its subsets
)

// ParseEncoding reads an encoding name: utf-8 or gb18030 (utf8, gbk and
// gb2312 are taken as aliases); "" is Detect.
func ParseEncoding(s string) (Encoding, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "":
		return Detect, nil
	case "utf-8", "utf8":
		return UTF8, nil
	case "gb18030", "gbk", "gb2312":
		return GB18030, nil
	}
	return Detect, fmt.Errorf("unknown encoding %q: use utf-8 or gb18030", s)
}

// String names the encoding as people know it.
func (e Encoding) String() string {
	switch e {
	case UTF8:
		return "UTF-8"
	case GB18030:
		return "GB18030"
	}
	return "detected"
}

var (
	utf8BOM    = []byte{0xEF, 0xBB, 0xBF}
	gb18030BOM = []byte{0x84, 0x31, 0x95, 0x33}
)

// RowError is one problem in an import file, by line and column.
type RowError struct {
	Line   int
	Column string
	// Reason is the English text; Msg, when set, the same as a catalogue
	// message, shown in the reader's language.
	Reason string
	Msg    i18n.Message
}

// rowError is a problem whose reason is the catalogue message m.
func rowError(line int, col string, m i18n.Message) RowError {
	return RowError{Line: line, Column: col, Reason: i18n.For(i18n.English).Render(m), Msg: m}
}

// Refused is the one error of every refused CSV import (nothing was
// stored): invalid input with a field per problem, named "line N: column",
// so the API's single status table and the command line report it like
// any other invalid input.
func Refused(rows []RowError) *partners.Error {
	m := i18n.N("problem.import_refused", len(rows))
	e := &partners.Error{Code: partners.EInvalid, Message: i18n.For(i18n.English).Render(m), Msg: m}
	for _, r := range rows {
		field := fmt.Sprintf("line %d", r.Line)
		if r.Column != "" {
			field += ": " + r.Column
		}
		m := r.Msg
		if key, ok := partners.ReasonKey(r.Reason); ok && m.Key == "" {
			m = i18n.M(key)
		}
		e.Fields = append(e.Fields, partners.FieldError{Field: field, Reason: r.Reason, Msg: m})
	}
	return e
}

// RowErrors turns a validation error of one row's input into row errors
// on line, each field's JSON key (less any index) as the column.
func RowErrors(line int, err error) []RowError {
	var out []RowError
	for _, f := range partners.ErrorFields(err) {
		col, _, _ := strings.Cut(f.Field, "[")
		out = append(out, RowError{Line: line, Column: col, Reason: f.Reason, Msg: f.Msg})
	}
	if len(out) == 0 {
		out = append(out, RowError{Line: line, Reason: partners.ErrorMessage(err)})
	}
	return out
}

// MaxErrors stops collecting problems once a file is clearly wrong.
const MaxErrors = 1000

// Table is a checked CSV file: its rows, trimmed and decoded, with the
// file line each began on, and the encoding it was read in.
type Table struct {
	Header []string
	Rows   [][]string
	Lines  []int
	// Encoding is the encoding the file was read in; How says how it was
	// decided: "byte-order mark", "named", "detected" or "ASCII only".
	Encoding Encoding
	How      string
}

// Get returns a row's value of a column ("" when the file lacks it).
func (t *Table) Get(row []string, col string) string {
	if i := slices.Index(t.Header, col); i >= 0 {
		return row[i]
	}
	return ""
}

// Has says whether the file has a column.
func (t *Table) Has(col string) bool { return slices.Contains(t.Header, col) }

// Named wraps a file whose encoding its sender named, for Read and the
// imports built on it; a reader that is not Named is detected.
func Named(r io.Reader, enc Encoding) io.Reader {
	if enc == Detect {
		return r
	}
	return named{r, enc}
}

type named struct {
	io.Reader
	enc Encoding
}

// field is one raw cell and where it is.
type field struct {
	raw    []byte
	line   int
	record int // index in records; 0 is the header
	col    int
}

// Read reads a CSV import: it decides the encoding (named with Named, or
// detected: a byte-order mark is certain, a file valid in only one of
// UTF-8 and GB18030 is in that one, a file valid in both that is not
// plain ASCII is refused with both readings, never guessed), checks the
// header against columns and required, and returns rows whose cells are
// trimmed and freed of the quote that exports put before formula
// characters (see Escape).
func Read(r io.Reader, columns, required []string) (*Table, error) {
	enc := Detect
	if n, ok := r.(named); ok {
		enc = n.enc
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	t := &Table{Encoding: enc, How: "named"}
	switch {
	case bytes.HasPrefix(data, utf8BOM):
		data = data[len(utf8BOM):]
		if enc == GB18030 {
			return nil, one(1, "1 (byte-order mark)", partners.R("csv_bom_utf8_named_gb18030"))
		}
		t.Encoding, t.How = UTF8, "byte-order mark"
	case bytes.HasPrefix(data, gb18030BOM):
		data = data[len(gb18030BOM):]
		if enc == UTF8 {
			return nil, one(1, "1 (byte-order mark)", partners.R("csv_bom_gb18030_named_utf8"))
		}
		t.Encoding, t.How = GB18030, "byte-order mark"
	}

	// CSV's delimiters are ASCII, and neither encoding uses an ASCII byte
	// inside a multi-byte character that could be one (GB18030's second
	// bytes are 0x30-0x39 and 0x40-0xFE), so the raw bytes split into the
	// same cells under both: split first, decode cells after.
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	var records [][]string
	var lines []int
	var fields []field
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			line, col := len(records)+1, "1"
			var pe *csv.ParseError
			reason := partners.R("csv_malformed")
			if errors.As(err, &pe) {
				line = pe.StartLine
				n := fieldAt(data, pe.Line, pe.Column)
				col = fmt.Sprintf("%d", n+1)
				if len(records) > 0 && n < len(records[0]) {
					col = strings.ToLower(strings.TrimSpace(records[0][n]))
				}
				reason = malformed(pe)
			}
			return nil, one(line, col, reason)
		}
		line, _ := cr.FieldPos(0)
		if len(records) > 0 && len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // blank line
		}
		for i, f := range rec {
			fl, _ := cr.FieldPos(i)
			fields = append(fields, field{raw: []byte(f), line: fl, record: len(records), col: i})
		}
		records = append(records, rec)
		lines = append(lines, line)
	}
	if len(records) == 0 {
		return nil, one(1, "", partners.R("csv_empty"))
	}
	colName := func(f field) string {
		if f.record == 0 {
			return fmt.Sprintf("%d (header)", f.col+1)
		}
		if f.col < len(records[0]) {
			return strings.ToLower(strings.TrimSpace(records[0][f.col]))
		}
		return fmt.Sprintf("%d (beyond the header)", f.col+1)
	}
	if err := decide(t, fields, colName); err != nil {
		return nil, err
	}
	if t.Encoding == GB18030 {
		for _, f := range fields {
			s, _ := decodeGB(f.raw)
			records[f.record][f.col] = s
		}
	}

	var errs []RowError
	seen := map[string]bool{}
	for i, h := range records[0] {
		h = strings.ToLower(strings.TrimSpace(h))
		name := h
		if name == "" {
			name = fmt.Sprintf("%d", i+1)
		}
		if !slices.Contains(columns, h) {
			errs = append(errs, rowError(lines[0], name, partners.R("csv_unknown_column", "Columns", strings.Join(columns, ", "))))
		}
		if seen[h] {
			errs = append(errs, rowError(lines[0], name, partners.R("csv_column_twice")))
		}
		seen[h] = true
		t.Header = append(t.Header, h)
	}
	for _, req := range required {
		if !seen[req] {
			errs = append(errs, rowError(lines[0], req, partners.R("csv_column_missing")))
		}
	}
	if len(errs) > 0 {
		return nil, Refused(errs)
	}
	for i, rec := range records[1:] {
		line := lines[i+1]
		switch {
		case len(rec) < len(t.Header):
			errs = append(errs, rowError(line, t.Header[len(rec)],
				partners.R("csv_field_missing", "Row", len(rec), "Header", len(t.Header))))
		case len(rec) > len(t.Header):
			errs = append(errs, rowError(line, fmt.Sprintf("%d (beyond the header)", len(t.Header)+1),
				partners.R("csv_field_extra", "Row", len(rec), "Header", len(t.Header))))
		}
		if len(errs) >= MaxErrors {
			return nil, Refused(errs)
		}
		if len(rec) != len(t.Header) {
			continue
		}
		for j, f := range rec {
			rec[j] = Unescape(strings.TrimSpace(f))
		}
		t.Rows = append(t.Rows, rec)
		t.Lines = append(t.Lines, line)
	}
	if len(errs) > 0 {
		return nil, Refused(errs)
	}
	return t, nil
}

// decide settles t.Encoding, checking every cell is valid in it.
func decide(t *Table, fields []field, colName func(field) string) error {
	firstBad := func(valid func([]byte) bool) (field, bool) {
		for _, f := range fields {
			if !valid(f.raw) {
				return f, true
			}
		}
		return field{}, false
	}
	badUTF8, notUTF8 := firstBad(utf8.Valid)
	badGB, notGB := firstBad(validGB)
	switch t.Encoding {
	case UTF8:
		if notUTF8 {
			reason := partners.R("csv_not_utf8_named")
			if t.How == "byte-order mark" {
				reason = partners.R("csv_not_utf8_bom")
			}
			if !notGB {
				reason = partners.R("csv_try_gb18030", "Reason", reason, "Text", preview(decodeGB(badUTF8.raw)))
			}
			return one(badUTF8.line, colName(badUTF8), reason)
		}
		if !notGB && t.How == "named" {
			// Named, but GBK bytes can be valid UTF-8 too: refuse a
			// reading that looks like GB18030 text read as UTF-8 rather
			// than store it.
			for _, f := range fields {
				if gb, _ := decodeGB(f.raw); !isASCII(f.raw) && misread(string(f.raw)) && allChinese(gb) {
					return one(f.line, colName(f), partners.R("csv_misread", "UTF8", preview(string(f.raw), nil), "GB", preview(gb, nil)))
				}
			}
		}
		return nil
	case GB18030:
		if notGB {
			reason := partners.R("csv_not_gb18030_named")
			if t.How == "byte-order mark" {
				reason = partners.R("csv_not_gb18030_bom")
			}
			if !notUTF8 {
				reason = partners.R("csv_try_utf8", "Reason", reason, "Text", preview(string(badGB.raw), nil))
			}
			return one(badGB.line, colName(badGB), reason)
		}
		return nil
	}
	t.How = "detected"
	switch {
	case notUTF8 && notGB:
		f := badUTF8
		if badGB.record < f.record || (badGB.record == f.record && badGB.col < f.col) {
			f = badGB
		}
		return one(f.line, colName(f), partners.R("csv_neither", "LineUTF8", badUTF8.line, "ColumnUTF8", colName(badUTF8),
			"LineGB", badGB.line, "ColumnGB", colName(badGB)))
	case notUTF8:
		t.Encoding = GB18030
		return nil
	case notGB:
		t.Encoding = UTF8
		return nil
	}
	// Valid in both: plain ASCII reads the same either way. UTF-8 Chinese
	// read as GB18030 falls mostly outside GB2312 (the continuation bytes
	// 0x80-0xBF make GBK's rare extension characters: 刘洋 becomes 鍒樻磱),
	// where real Chinese text hardly goes, so such a file is UTF-8.
	// Anything else could be either, and a guess could store mojibake
	// (GBK's 泰山实业 is valid UTF-8 for "̩ɽʵҵ"), so the sender must say.
	if !isASCII(joined(fields)) && !gbPlausible(fields) && !anyMisread(fields) {
		t.Encoding = UTF8
		return nil
	}
	for _, f := range fields {
		if !isASCII(f.raw) {
			gb, _ := decodeGB(f.raw)
			return one(f.line, colName(f), partners.R("csv_ambiguous", "GB", preview(gb, nil), "UTF8", preview(string(f.raw), nil)))
		}
	}
	t.Encoding, t.How = UTF8, "ASCII only"
	return nil
}

// fieldAt counts the cells before byte col (1-based) of line (1-based),
// for naming the column of a malformed line.
func fieldAt(data []byte, line, col int) int {
	ls := bytes.SplitN(data, []byte("\n"), line+1)
	if line < 1 || line > len(ls) {
		return 0
	}
	l := ls[line-1]
	if col-1 < len(l) {
		l = l[:max(col-1, 0)]
	}
	n, quoted := 0, false
	for _, c := range l {
		switch {
		case c == '"':
			quoted = !quoted
		case c == ',' && !quoted:
			n++
		}
	}
	return n
}

func joined(fields []field) []byte {
	var b []byte
	for _, f := range fields {
		b = append(b, f.raw...)
	}
	return b
}

// gbPlausible says whether valid GB18030 cells read as Chinese text: at
// least three in four of their multi-byte characters are GB2312's (both
// bytes 0xA1 or above), which covers all but the rarest characters.
func gbPlausible(fields []field) bool {
	common, rare := 0, 0
	for _, f := range fields {
		b := f.raw
		for i := 0; i < len(b); {
			switch {
			case b[i] < 0x80:
				i++
			case i+1 < len(b) && b[i+1] >= 0x30 && b[i+1] <= 0x39:
				rare++
				i += 4
			default:
				if i+1 < len(b) && b[i] >= 0xA1 && b[i+1] >= 0xA1 {
					common++
				} else {
					rare++
				}
				i += 2
			}
		}
	}
	return rare*4 <= common+rare
}

func anyMisread(fields []field) bool {
	for _, f := range fields {
		if misread(string(f.raw)) {
			return true
		}
	}
	return false
}

// one refuses a file for one problem, whose reason is the catalogue
// message m.
func one(line int, col string, m i18n.Message) *partners.Error {
	return Refused([]RowError{rowError(line, col, m)})
}

// malformed is the reason for a line the CSV reader refused, without
// the reader's own English: what is wrong, and where.
func malformed(pe *csv.ParseError) i18n.Message {
	switch {
	case errors.Is(pe.Err, csv.ErrBareQuote):
		return partners.R("csv_bare_quote", "Line", pe.Line, "Byte", pe.Column)
	case errors.Is(pe.Err, csv.ErrQuote):
		return partners.R("csv_open_quote", "Line", pe.Line, "Byte", pe.Column)
	}
	return partners.R("csv_malformed_at", "Line", pe.Line, "Byte", pe.Column)
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

// decodeGB decodes GB18030 (and so GBK and GB2312).
func decodeGB(b []byte) (string, error) {
	out, err := simplifiedchinese.GB18030.NewDecoder().Bytes(b)
	return string(out), err
}

// validGB says whether b is GB18030 exactly: the decoder replaces bad
// bytes with U+FFFD instead of failing, and GB18030 encodes every code
// point one way, so b is valid when its decoding encodes back to b.
func validGB(b []byte) bool {
	if isASCII(b) {
		return true
	}
	s, err := decodeGB(b)
	if err != nil {
		return false
	}
	back, err := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte(s))
	return err == nil && bytes.Equal(back, b)
}

// preview shortens a cell for a message.
func preview(s string, _ error) string {
	if utf8.RuneCountInString(s) <= 40 {
		return s
	}
	return string([]rune(s)[:40]) + "…"
}

// formula says whether a spreadsheet would take a cell beginning with c
// as a formula (OWASP, CSV injection).
func formula(c byte) bool {
	return c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' || c == '\r'
}

// needsQuote says whether s, after any leading quotes, begins with a
// formula character.
func needsQuote(s string) bool {
	t := strings.TrimLeft(s, "'")
	return t != "" && formula(t[0])
}

// Escape makes a cell text to a spreadsheet: a value beginning with =, +,
// -, @, tab or CR gets a leading single quote (as does one already
// beginning with quotes before such a character, so Unescape is exact).
func Escape(s string) string {
	if needsQuote(s) {
		return "'" + s
	}
	return s
}

// Unescape reverses Escape: Unescape(Escape(s)) == s for every s.
func Unescape(s string) string {
	if strings.HasPrefix(s, "'") && needsQuote(s[1:]) {
		return s[1:]
	}
	return s
}

// misread says whether UTF-8 text looks like GBK bytes read as UTF-8: a
// Chinese character's two bytes then read as one character from
// U+0080-U+07FF, so names become runs of IPA letters, modifier letters,
// stray combining marks and characters of different scripts side by side
// (泰山实业 as "̩ɽʵҵ"), which names never are.
func misread(s string) bool {
	prev := rune(' ')
	for _, r := range s {
		switch {
		case r >= 0x0250 && r <= 0x02FF: // IPA and spacing modifier letters
			return true
		case r >= 0x0300 && r <= 0x036F && !unicode.IsLetter(prev): // a combining mark on nothing
			return true
		case block(r) != 0 && block(prev) != 0 && block(r) != block(prev):
			return true
		}
		prev = r
	}
	return false
}

// block groups U+0100-U+07FF by script (0 for anything else).
func block(r rune) int {
	for i, end := range []rune{0x024F, 0x03FF, 0x052F, 0x058F, 0x05FF, 0x06FF, 0x074F, 0x07BF, 0x07FF} {
		if r >= 0x0100 && r <= end {
			return i + 1
		}
	}
	return 0
}

// allChinese says whether s is Chinese text: Han, CJK punctuation and
// full-width forms, with ASCII.
func allChinese(s string) bool {
	for _, r := range s {
		cjkPunct := r >= 0x3000 && r <= 0x303F
		fullWidth := r >= 0xFF00 && r <= 0xFFEF
		if r >= 0x80 && !unicode.Is(unicode.Han, r) && !cjkPunct && !fullWidth {
			return false
		}
	}
	return true
}
