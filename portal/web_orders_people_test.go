package portal

import (
	"fmt"
	"testing"
	"time"

	"entgo.io/ent/dialect"
)

// An order's revision history names who published it, as the feed and
// the audit trail do, to the buyer and to the supplier alike: never the
// e-mail address the revision records as its author.
func TestOrderRevisionsNamePeople(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	o := e.publishAgo(t, "PO-REV-1", time.Hour)
	for _, w := range []who{wBuyer, wPartner} {
		page := e.pageAs(t, w, fmt.Sprintf("/orders/%d", o.ID), "zh-CN")
		wantIn(t, page, `<td class="rev-by">Bo Buyer</td>`)
		wantNotIn(t, page, "buyer@co.test")
	}
}
