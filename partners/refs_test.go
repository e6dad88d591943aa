package partners

import (
	"context"
	"errors"
	"testing"

	"github.com/tierlink/tierlink/ent"
)

// Ref answers a record that is not there (or hidden by privacy, which
// reads the same) with a field error, and lets every other failure
// through untouched, so a database outage is never blamed on the input.
func TestRefOnlyTurnsNotFoundIntoAFieldError(t *testing.T) {
	if err := Ref("order_id", "must be an order", nil); err != nil {
		t.Fatalf("Ref(nil) = %v", err)
	}
	err := Ref("lines[0].order_id", "must be an open order", &ent.NotFoundError{})
	if ErrorCode(err) != EInvalid {
		t.Fatalf("not found → %v (%s), want invalid", err, ErrorCode(err))
	}
	if fs := ErrorFields(err); len(fs) != 1 || fs[0].Field != "lines[0].order_id" || fs[0].Reason != "must be an open order" {
		t.Fatalf("fields = %+v", fs)
	}
	for _, other := range []error{context.Canceled, errors.New("connection reset"), &ent.ConstraintError{}} {
		if got := Ref("group_id", "must be a group", other); got != other {
			t.Errorf("Ref(%v) = %v, want the error itself", other, got)
		}
	}
}
