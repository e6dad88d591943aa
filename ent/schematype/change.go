// Package schematype holds the Go types of structured JSON columns. ent
// decodes them as a row is read, so a malformed row fails its query
// instead of being guessed at field by field; the domain maps them to its
// own types.
package schematype

// LineChange is one order line's proposed change as a change request
// stores it: dates as 2006-01-02, quantities and prices in their
// fixed-point units (thousandths, ten-thousandths), nil when unchanged.
type LineChange struct {
	LineNo        int    `json:"line_no"`
	Reason        string `json:"reason"`
	PromisedDate  string `json:"promised_date,omitempty"`
	QuantityMilli *int64 `json:"quantity_milli,omitempty"`
	UnitPriceE4   *int64 `json:"unit_price_e4,omitempty"`
}
