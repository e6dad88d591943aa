package orders

import (
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"
)

// Qty is a quantity in thousandths of a unit, so split receipts sum
// exactly (0.1 + 0.2 is 0.3 here, never 0.30000000000000004).
type Qty int64

// Price is a unit price in ten-thousandths of the currency unit.
type Price int64

// parseFixed reads a JSON number with at most scale decimals into an
// integer count of 10^-scale units.
func parseFixed(b []byte, scale int) (int64, error) {
	s := strings.TrimSpace(string(b))
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = s[1 : len(s)-1] // ERP exports often quote numbers
	}
	if s == "" || s == "null" {
		return 0, errors.New("must be a number")
	}
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" || strings.ContainsAny(s, "eE+") {
		return 0, errors.New("must be a plain decimal number")
	}
	if len(frac) > scale {
		return 0, errors.New("has more than " + strconv.Itoa(scale) + " decimals")
	}
	frac += strings.Repeat("0", scale-len(frac))
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || w > 1e12 {
		return 0, errors.New("is too large")
	}
	f, err := strconv.ParseInt(frac, 10, 64)
	if err != nil {
		return 0, errors.New("must be a plain decimal number")
	}
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
	v, err := parseFixed(b, 3)
	if err != nil {
		return &json.UnmarshalTypeError{Value: "quantity: " + err.Error(), Type: qtyType}
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
	v, err := parseFixed(b, 4)
	if err != nil {
		return &json.UnmarshalTypeError{Value: "price: " + err.Error(), Type: priceType}
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

var (
	qtyType   = reflect.TypeFor[Qty]()
	priceType = reflect.TypeFor[Price]()
)
