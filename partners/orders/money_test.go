package orders_test

import (
	"testing"

	"github.com/tierlink/tierlink/partners/orders"
)

func TestMoney(t *testing.T) {
	for _, tc := range []struct {
		p    orders.Price
		want string
	}{{125_000, "CNY 12.50"}, {0, "CNY 0.00"}, {31_415, "CNY 3.1415"}, {10_000_000, "CNY 1000.00"}, {1_200, "CNY 0.12"}} {
		if got := orders.Money("cny", tc.p); got != tc.want {
			t.Errorf("Money(%d) = %q, want %q", tc.p, got, tc.want)
		}
	}
	o := orders.Order{Currency: "CNY", Lines: []orders.Line{
		{Quantity: 500_000, UnitPrice: 125_000}, // 500 × 12.5 = 6250
		{Quantity: 250_500, UnitPrice: 31_415},  // 250.5 × 3.1415 = 786.94575 → 786.9458
	}}
	if got := o.Money(o.Lines[1].Amount()); got != "CNY 786.9458" {
		t.Errorf("amount = %q", got)
	}
	if got := o.Money(o.Total()); got != "CNY 7036.9458" {
		t.Errorf("total = %q", got)
	}
}
