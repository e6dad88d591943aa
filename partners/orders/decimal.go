package orders

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/tierlink/tierlink/partners"
	"github.com/tierlink/tierlink/partners/i18n"
)

// Qty is a quantity in thousandths of a unit, so split receipts sum
// exactly (0.1 + 0.2 is 0.3 here, never 0.30000000000000004).
type Qty int64

// Price is a unit price in ten-thousandths of the currency unit.
type Price int64

// DecimalReason is why a quantity or price could not be read. Its value
// is a stable key, so a message catalogue can translate it and callers
// pick the reason with errors.Is, never by reading the message.
type DecimalReason string

// Reasons a decimal is refused.
const (
	ErrNotANumber      DecimalReason = "decimal_missing"
	ErrDecimalSyntax   DecimalReason = "decimal_syntax"
	ErrTooManyDecimals DecimalReason = "decimal_too_many_places"
	ErrTooLarge        DecimalReason = "decimal_too_large"
	// ErrHasUnit is a number followed by a unit or other text ("300件",
	// "12 kg"): the field takes the number alone, in the line's unit.
	ErrHasUnit DecimalReason = "decimal_unit"
)

// Error is the English reason, as a field error shows it.
func (r DecimalReason) Error() string {
	switch r {
	case ErrNotANumber:
		return "must be a number"
	case ErrDecimalSyntax:
		return "must be a plain decimal number"
	case ErrTooManyDecimals:
		return "has too many decimals"
	case ErrTooLarge:
		return "is too large"
	case ErrHasUnit:
		return "must be a number without a unit"
	}
	return "is not a valid decimal"
}

// DecimalError is a refused decimal: the reason, and for too many
// decimals how many the field allows. errors.Is(err, ErrTooManyDecimals)
// matches it through Unwrap.
type DecimalError struct {
	Reason DecimalReason
	Places int
	// Number and Typed are, for ErrHasUnit, the number that was meant
	// and the text as typed.
	Number, Typed string
}

// Error is the reason in English, as a field error shows it.
func (e *DecimalError) Error() string {
	return i18n.For(i18n.English).Render(e.Msg())
}

// Msg is the reason as a catalogue message ("reason." and the reason's
// key), naming the places allowed or the number meant.
func (e *DecimalError) Msg() i18n.Message {
	switch e.Reason {
	case ErrTooManyDecimals:
		return partners.R("decimal_too_many_places", "Places", e.Places)
	case ErrHasUnit:
		return partners.R("decimal_unit", "Number", e.Number, "Typed", e.Typed)
	case ErrNotANumber:
		return partners.R("decimal_missing")
	case ErrDecimalSyntax:
		return partners.R("decimal_syntax")
	case ErrTooLarge:
		return partners.R("decimal_too_large")
	}
	return partners.R("decimal_invalid")
}

// Unwrap returns the reason.
func (e *DecimalError) Unwrap() error { return e.Reason }

// parseJSONFixed reads a JSON value, a number or a quoted number (ERP
// exports often quote them), with parseFixed.
func parseJSONFixed(b []byte, scale int) (int64, error) {
	if s := bytes.TrimSpace(b); len(s) > 0 && s[0] == '"' {
		var str string
		if err := json.Unmarshal(s, &str); err != nil {
			return 0, &DecimalError{Reason: ErrDecimalSyntax}
		}
		b = []byte(str)
	}
	return parseFixed(b, scale)
}

// parseFixed reads a decimal with at most scale decimals into an integer
// count of 10^-scale units.
func parseFixed(b []byte, scale int) (int64, error) {
	s := strings.TrimSpace(string(b))
	if s == "" || s == "null" {
		return 0, &DecimalError{Reason: ErrNotANumber}
	}
	neg := strings.HasPrefix(s, "-")
	typed := s
	s = strings.TrimPrefix(s, "-")
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" || !digits(whole) || !digits(frac) {
		if num, ok := numberWithUnit(typed); ok {
			return 0, &DecimalError{Reason: ErrHasUnit, Number: num, Typed: typed}
		}
		return 0, &DecimalError{Reason: ErrDecimalSyntax}
	}
	if len(frac) > scale {
		return 0, &DecimalError{Reason: ErrTooManyDecimals, Places: scale}
	}
	frac += strings.Repeat("0", scale-len(frac))
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || w > 1e12 { // only digits are left, so err is a range error
		return 0, &DecimalError{Reason: ErrTooLarge}
	}
	f, _ := strconv.ParseInt(frac, 10, 64) // scale digits at most
	mult := int64(1)
	for i := 0; i < scale; i++ {
		mult *= 10
	}
	v := w*mult + f
	if neg {
		v = -v
	}
	return v, nil
}

var exponent = regexp.MustCompile(`^[eE][+-]?[0-9]*$`)

// numberWithUnit splits "300件", "300 pcs" or "12.5kg" into the number
// meant ("300", "12.5"): a plain decimal followed by text that starts
// with a letter or a symbol (件, pcs, kg, %), which people type out of
// habit. "1,000" and "1.2.3" are not this: they are malformed numbers.
func numberWithUnit(s string) (string, bool) {
	end := 0
	if strings.HasPrefix(s, "-") {
		end = 1
	}
	for end < len(s) && (s[end] >= '0' && s[end] <= '9' || s[end] == '.') {
		end++
	}
	num, rest := s[:end], strings.TrimSpace(s[end:])
	whole, frac, _ := strings.Cut(strings.TrimPrefix(num, "-"), ".")
	if whole == "" || !digits(whole) || !digits(frac) || strings.HasSuffix(num, ".") || rest == "" {
		return "", false
	}
	if exponent.MatchString(rest) || !utf8.ValidString(rest) {
		return "", false // 1e3 is a number in another notation
	}
	r, _ := utf8.DecodeRuneInString(rest)
	if !unicode.IsLetter(r) && !unicode.IsSymbol(r) && r != '%' {
		return "", false
	}
	return num, true
}

// digits tells whether s holds ASCII digits only.
func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func formatFixed(v int64, scale int) string {
	neg := v < 0
	if neg {
		v = -v
	}
	mult := int64(1)
	for i := 0; i < scale; i++ {
		mult *= 10
	}
	s := strconv.FormatInt(v/mult, 10)
	if f := v % mult; f != 0 {
		fs := strconv.FormatInt(f, 10)
		fs = strings.Repeat("0", scale-len(fs)) + fs
		s += "." + strings.TrimRight(fs, "0")
	}
	if neg {
		s = "-" + s
	}
	return s
}

// UnmarshalJSON reads a number with at most 3 decimals.
func (q *Qty) UnmarshalJSON(b []byte) error {
	// The typed reason is returned as is: the API's decoder finds it
	// with errors.As and names the field from its own path.
	v, err := parseJSONFixed(b, 3)
	if err != nil {
		return err
	}
	*q = Qty(v)
	return nil
}

// MarshalJSON writes the exact decimal number.
func (q Qty) MarshalJSON() ([]byte, error) { return []byte(formatFixed(int64(q), 3)), nil }

// String is the exact decimal.
func (q Qty) String() string { return formatFixed(int64(q), 3) }

// ParseQty reads a decimal quantity (CSV cells, forms).
func ParseQty(s string) (Qty, error) {
	v, err := parseFixed([]byte(s), 3)
	return Qty(v), err
}

// UnmarshalJSON reads a number with at most 4 decimals.
func (p *Price) UnmarshalJSON(b []byte) error {
	v, err := parseJSONFixed(b, 4)
	if err != nil {
		return err
	}
	*p = Price(v)
	return nil
}

// MarshalJSON writes the exact decimal number.
func (p Price) MarshalJSON() ([]byte, error) { return []byte(formatFixed(int64(p), 4)), nil }

// String is the exact decimal.
func (p Price) String() string { return formatFixed(int64(p), 4) }

// ParsePrice reads a decimal price.
func ParsePrice(s string) (Price, error) {
	v, err := parseFixed([]byte(s), 4)
	return Price(v), err
}

// OpenAPISchema describes Qty in the API document.
func (Qty) OpenAPISchema() map[string]any {
	return map[string]any{"type": "number", "description": "decimal with at most 3 places"}
}

// OpenAPISchema describes Price in the API document.
func (Price) OpenAPISchema() map[string]any {
	return map[string]any{"type": "number", "description": "decimal with at most 4 places"}
}
