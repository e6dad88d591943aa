package orders

import (
	"fmt"
	"strconv"
	"strings"
)

// RevisionReason says why a revision was kept, as a code the pages
// render from the catalogue (key "rev_" + code) in the reader's language.
type RevisionReason string

// Why a revision is kept.
const (
	// RevPublished: the draft was published.
	RevPublished RevisionReason = "published"
	// RevImported: an import published the order.
	RevImported RevisionReason = "published_by_import"
	// RevChangeApproved: a change request was approved (its id follows
	// the code in the stored text, "change_approved:12").
	RevChangeApproved RevisionReason = "change_approved"
	// RevOther: stored text this version does not know; shown as stored.
	RevOther RevisionReason = "other"
)

// reasonText is how a revision's reason is stored.
func reasonText(r RevisionReason, changeRequestID int) string {
	if changeRequestID != 0 {
		return fmt.Sprintf("%s:%d", r, changeRequestID)
	}
	return string(r)
}

// parseReason reads a stored reason: a code written by reasonText, or
// the English sentences older rows hold ("published by import",
// "change request 12 approved"), so those stay readable.
func parseReason(s string) (RevisionReason, int) {
	code, id, _ := strings.Cut(s, ":")
	switch RevisionReason(code) {
	case RevPublished, RevImported, RevChangeApproved:
		n, _ := strconv.Atoi(id)
		return RevisionReason(code), n
	}
	if s == "published by import" {
		return RevImported, 0
	}
	var n int
	if _, err := fmt.Sscanf(s, "change request %d approved", &n); err == nil {
		return RevChangeApproved, n
	}
	return RevOther, 0
}
