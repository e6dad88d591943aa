package directory_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/tierlink/tierlink/partners"
	"github.com/tierlink/tierlink/partners/directory"
	"github.com/tierlink/tierlink/partners/partnerstest"
)

// ledger counts the ownership ledger's entries.
func ledger(t *testing.T, f *partnerstest.Fixture) int {
	t.Helper()
	n, err := f.DB.Client.ContactTransfer.Query().Count(f.System())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// A transfer to the owner a contact already has is refused whether it
// is meant for now or for later, with the same field error, and leaves
// the ledger as it was.
func TestTransferToCurrentOwnerRefusedNowAndScheduled(t *testing.T) {
	partnerstest.ForEachDialect(t, func(t *testing.T, f *partnerstest.Fixture) {
		ctx := f.Ctx(f.Buyer)
		before := ledger(t, f)
		_, err := f.Dir.Transfer(ctx, directory.TransferInput{ContactIDs: []int{f.ContactA.ID}, ToOwnerID: f.Buyer.ID})
		partnerstest.WantCode(t, err, partners.EInvalid)
		now := partners.ErrorFields(err)
		at := time.Now().Add(48 * time.Hour)
		_, err = f.Dir.Transfer(ctx, directory.TransferInput{ContactIDs: []int{f.ContactA.ID}, ToOwnerID: f.Buyer.ID, EffectiveAt: &at})
		partnerstest.WantCode(t, err, partners.EInvalid)
		if later := partners.ErrorFields(err); !reflect.DeepEqual(later, now) || len(now) != 1 || now[0].Field != "contact_ids[0]" {
			t.Fatalf("scheduled answers %+v, immediate %+v", later, now)
		}
		if after := ledger(t, f); after != before {
			t.Fatalf("ledger grew from %d to %d entries", before, after)
		}
		if done, failed, err := f.Dir.RunDueTransfers(f.System()); done+failed != 0 || err != nil {
			t.Fatalf("due transfers = %d done, %d failed, %v", done, failed, err)
		}
	})
}

// A refused contact is named by its place in the request, whatever
// order the ids come in and whatever order the database returns them.
func TestTransferNamesTheContactAsSent(t *testing.T) {
	partnerstest.ForEachDialect(t, func(t *testing.T, f *partnerstest.Fixture) {
		ctx := f.Ctx(f.Buyer)
		field := func(in directory.TransferInput) string {
			t.Helper()
			_, err := f.Dir.Transfer(ctx, in)
			partnerstest.WantCode(t, err, partners.EInvalid)
			fs := partners.ErrorFields(err)
			if len(fs) != 1 {
				t.Fatalf("fields = %+v", fs)
			}
			return fs[0].Field
		}
		const unknown = 987654
		for _, tc := range []struct {
			ids  []int
			want string
		}{
			{[]int{unknown, f.ContactA.ID}, "contact_ids[0]"},
			{[]int{f.ContactA.ID, unknown}, "contact_ids[1]"},
			{[]int{f.ContactA2.ID, f.ContactA.ID, unknown}, "contact_ids[2]"},
		} {
			if got := field(directory.TransferInput{ContactIDs: tc.ids, ToOwnerID: f.Buyer2.ID}); got != tc.want {
				t.Errorf("unknown contact in %v reported on %s, want %s", tc.ids, got, tc.want)
			}
		}
		// ContactB is Buyer2's: the refusal names it, not ContactA.
		if got := field(directory.TransferInput{ContactIDs: []int{f.ContactA.ID, f.ContactB.ID}, ToOwnerID: f.Buyer2.ID}); got != "contact_ids[1]" {
			t.Errorf("already owned contact reported on %s, want contact_ids[1]", got)
		}
		if got := field(directory.TransferInput{ContactIDs: []int{f.ContactB.ID, f.ContactA.ID}, ToOwnerID: f.Buyer2.ID}); got != "contact_ids[0]" {
			t.Errorf("already owned contact reported on %s, want contact_ids[0]", got)
		}
		if n := ledger(t, f); n != 0 {
			t.Fatalf("refused transfers left %d ledger entries", n)
		}
	})
}
