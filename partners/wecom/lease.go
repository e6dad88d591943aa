package wecom

import (
	"context"
	"time"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/wecomlease"
)

// claimLease takes or renews the named lease in wecom_lease for owner
// until now+d, reporting whether owner holds it. The event worker and the
// card dispatcher each hold one, so one instance at a time works each
// queue.
func claimLease(ctx context.Context, db *ent.Client, name, owner string, d time.Duration, now time.Time) (bool, error) {
	take := func() (int, error) {
		return db.WecomLease.Update().Where(wecomlease.Name(name),
			wecomlease.Or(wecomlease.UntilLT(now), wecomlease.Owner(owner))).
			SetOwner(owner).SetUntil(now.Add(d)).Save(ctx)
	}
	n, err := take()
	if err != nil || n == 1 {
		return n == 1, err
	}
	// The first claim ever creates the lease row; of two instances
	// racing, one insert wins and the other's does nothing (which ent
	// reports as sql.ErrNoRows, hence kept).
	if err := kept(db.WecomLease.Create().SetName(name).SetOwner("").SetUntil(time.Unix(0, 0)).
		OnConflictColumns(wecomlease.FieldName).DoNothing().Exec(ctx)); err != nil {
		return false, err
	}
	n, err = take()
	return n == 1, err
}

// releaseLease lets the named lease go at now if owner holds it, even
// when ctx is ending, so another instance need not wait for it to lapse.
func releaseLease(ctx context.Context, db *ent.Client, name, owner string, now time.Time) error {
	return db.WecomLease.Update().Where(wecomlease.Name(name), wecomlease.Owner(owner)).
		SetUntil(now).Exec(context.WithoutCancel(ctx))
}
