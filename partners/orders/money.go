package orders

import (
	"math/big"
	"strings"
)

// Money shows a price with its currency, as every order page does:
// "CNY 12.50" — the ISO code first (unambiguous between CNY and JPY, and
// the same in both languages), at least two decimals, up to the four a
// unit price may carry.
func Money(currency string, p Price) string {
	s := p.String()
	whole, frac, _ := strings.Cut(s, ".")
	for len(frac) < 2 {
		frac += "0"
	}
	return strings.ToUpper(currency) + " " + whole + "." + frac
}

// Amount is a line's quantity times its unit price, rounded half away
// from zero to the price's four decimals. It is computed in big integers:
// quantity (thousandths) times price (ten-thousandths) may exceed int64.
func (l Line) Amount() Price {
	p := new(big.Int).Mul(big.NewInt(int64(l.Quantity)), big.NewInt(int64(l.UnitPrice)))
	half := big.NewInt(500)
	if p.Sign() < 0 {
		half.Neg(half)
	}
	p.Add(p, half)
	p.Quo(p, big.NewInt(1000))
	return Price(p.Int64())
}

// Total is the sum of the order's line amounts.
func (o Order) Total() Price {
	var t Price
	for _, l := range o.Lines {
		t += l.Amount()
	}
	return t
}

// Money shows p in the order's currency (see Money).
func (o Order) Money(p Price) string { return Money(o.Currency, p) }

// Money shows p in the change request's order's currency (see Money).
func (cr ChangeRequest) Money(p Price) string { return Money(cr.Currency, p) }
