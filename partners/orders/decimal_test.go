package orders_test

import (
	"encoding/json"
	"errors"
	"testing"
	"unicode/utf8"

	"github.com/tierlink/tierlink/partners/orders"
)

// Each refused decimal carries a typed reason that errors.Is finds,
// whether it came as a JSON number, a quoted number or a CSV cell.
func TestDecimalReasons(t *testing.T) {
	for _, tc := range []struct {
		name, json, cell string
		want             orders.DecimalReason
	}{
		{"ErrTooManyDecimals", `1.0001`, "1.0001", orders.ErrTooManyDecimals},
		{"ErrDecimalSyntaxExponent", `1e3`, "1e3", orders.ErrDecimalSyntax},
		{"ErrDecimalSyntaxLetters", `"abc"`, "abc", orders.ErrDecimalSyntax},
		{"ErrNotANumberNull", `null`, "null", orders.ErrNotANumber},
		{"ErrNotANumberEmpty", `""`, "", orders.ErrNotANumber},
		{"ErrTooLarge", `99999999999999`, "99999999999999", orders.ErrTooLarge},
		{"ErrTooLargeForInt64", `99999999999999999999`, "99999999999999999999", orders.ErrTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var q orders.Qty
			if err := json.Unmarshal([]byte(tc.json), &q); err == nil {
				t.Fatalf("%s accepted as %s", tc.json, q)
			}
			_, err := orders.ParseQty(tc.cell)
			var de *orders.DecimalError
			if !errors.Is(err, tc.want) || !errors.As(err, &de) || de.Reason != tc.want {
				t.Fatalf("ParseQty(%q) = %v, want %s", tc.cell, err, tc.want)
			}
		})
	}
}

// A decimal refused inside a request body carries its typed reason out
// of the decoder, so the API finds it with errors.As, not in a message.
func TestDecimalErrorsAreTyped(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		into       any
		reason     orders.DecimalReason
		message    string
	}{
		{"ErrTooManyDecimals", `{"lines":[{"quantity":1.0001}]}`, new(orders.OrderInput), orders.ErrTooManyDecimals, "has more than 3 decimals"},
		{"PriceAllowsFour", `{"lines":[{"unit_price":"1.00001"}]}`, new(orders.OrderInput), orders.ErrTooManyDecimals, "has more than 4 decimals"},
		{"ErrTooLarge", `{"lines":[{"quantity":10000000000000}]}`, new(orders.OrderInput), orders.ErrTooLarge, "is too large"},
		{"ErrDecimalSyntax", `{"lines":[{"quantity":"1e3"}]}`, new(orders.OrderInput), orders.ErrDecimalSyntax, "must be a plain decimal number"},
		{"PointerField", `{"lines":[{"line_no":1,"action":"change","quantity":"x.5"}]}`, new(orders.AckInput), orders.ErrDecimalSyntax, "must be a plain decimal number"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := json.Unmarshal([]byte(tc.body), tc.into)
			var de *orders.DecimalError
			if !errors.As(err, &de) || de.Reason != tc.reason || de.Error() != tc.message {
				t.Fatalf("Unmarshal = %v (%T), want %s %q", err, err, tc.reason, tc.message)
			}
		})
	}
	t.Run("OtherTypeErrorsAreNotDecimals", func(t *testing.T) {
		err := json.Unmarshal([]byte(`{"number":5}`), new(orders.OrderInput))
		var de *orders.DecimalError
		if err == nil || errors.As(err, &de) {
			t.Fatalf("a number for a string field: %v", err)
		}
	})
}

// FuzzParseQty: any text is either a quantity that prints back to itself
// or refused with one of the typed reasons; a refused JSON value is
// mapped to the same reason.
func FuzzParseQty(f *testing.F) {
	for _, s := range []string{"1", "0.1", "2.500", "-3", "1.0001", "1e3", "abc", "", "null", "99999999999999", "99999999999999999999", "x.5", "1.", ".5", "--1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := orders.ParseQty(s)
		if err == nil {
			if back, err := orders.ParseQty(q.String()); err != nil || back != q {
				t.Fatalf("%q → %s → %s, %v", s, q, back, err)
			}
			return
		}
		var de *orders.DecimalError
		if !errors.As(err, &de) {
			t.Fatalf("%q: untyped error %v", s, err)
		}
		switch de.Reason {
		case orders.ErrNotANumber, orders.ErrDecimalSyntax, orders.ErrTooManyDecimals, orders.ErrTooLarge, orders.ErrHasUnit:
		default:
			t.Fatalf("%q: unknown reason %q", s, de.Reason)
		}
		if !utf8.ValidString(s) {
			return // JSON would carry other text: U+FFFD for each bad byte
		}
		body, _ := json.Marshal(map[string]any{"lines": []map[string]string{{"quantity": s}}})
		jerr := json.Unmarshal(body, new(orders.OrderInput))
		var je *orders.DecimalError
		if !errors.As(jerr, &je) || je.Error() != err.Error() {
			t.Fatalf("%q in JSON: %v, want reason %q", s, jerr, err.Error())
		}
	})
}
