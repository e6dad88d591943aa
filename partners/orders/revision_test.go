package orders

import "testing"

// Reasons stored as codes and the English sentences of older rows read
// back to the same codes.
func TestParseReason(t *testing.T) {
	for _, tc := range []struct {
		in   string
		code RevisionReason
		cr   int
	}{
		{reasonText(RevPublished, 0), RevPublished, 0},
		{reasonText(RevChangeApproved, 12), RevChangeApproved, 12},
		{reasonText(RevImported, 0), RevImported, 0},
		{"published by import", RevImported, 0},
		{"change request 7 approved", RevChangeApproved, 7},
		{"something else", RevOther, 0},
	} {
		if code, cr := parseReason(tc.in); code != tc.code || cr != tc.cr {
			t.Errorf("parseReason(%q) = %s, %d; want %s, %d", tc.in, code, cr, tc.code, tc.cr)
		}
	}
}
