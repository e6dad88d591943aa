package accounts_test

import (
	"reflect"
	"testing"

	"github.com/tierlink/tierlink/ent/user"
	"github.com/tierlink/tierlink/partners"
	"github.com/tierlink/tierlink/partners/accounts"
	"github.com/tierlink/tierlink/partners/partnerstest"
)

// A staff user without a password could never log in (there is no
// e-mail to set one yet): creating one is refused on the password field
// and stores nothing.
func TestCreateUserNeedsAPassword(t *testing.T) {
	partnerstest.ForEachDialect(t, func(t *testing.T, f *partnerstest.Fixture) {
		ctx := f.Ctx(f.Admin)
		_, err := f.Acc.CreateUser(ctx, accounts.UserInput{Email: "nopw@co.test", Name: "No Password", Role: "viewer"})
		partnerstest.WantCode(t, err, partners.EInvalid)
		if fs := partners.ErrorFields(err); len(fs) != 1 || fs[0].Field != "password" {
			t.Fatalf("fields = %+v", fs)
		}
		if n, err := f.DB.Client.User.Query().Where(user.Email("nopw@co.test")).Count(f.System()); err != nil || n != 0 {
			t.Fatalf("%d users stored (%v)", n, err)
		}
		u, err := f.Acc.CreateUser(ctx, accounts.UserInput{Email: "pw@co.test", Name: "With Password", Role: "viewer", Password: partnerstest.Password})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := f.Acc.Login(ctx, accounts.LoginInput{Email: u.Email, Password: partnerstest.Password}, "127.0.0.1", "test"); err != nil {
			t.Fatalf("the new user cannot log in: %v", err)
		}
	})
}

// Every heir a deactivation names must be an active staff user and every
// partner it names must exist, even when the leaver owns nothing to hand
// over; a partner user named as heir gets the answer an unknown id gets.
// A refused deactivation leaves the account active.
func TestDeactivateHeirsMustExist(t *testing.T) {
	partnerstest.ForEachDialect(t, func(t *testing.T, f *partnerstest.Fixture) {
		ctx := f.Ctx(f.Admin)
		const unknown = 987654
		refused := func(t *testing.T, in accounts.DeactivateInput, field string) []partners.FieldError {
			t.Helper()
			_, err := f.Acc.Deactivate(ctx, f.Viewer.ID, in)
			partnerstest.WantCode(t, err, partners.EInvalid)
			fs := partners.ErrorFields(err)
			if len(fs) != 1 || fs[0].Field != field {
				t.Fatalf("fields = %+v, want one on %s", fs, field)
			}
			if u, err := f.Acc.User(ctx, f.Viewer.ID); err != nil || !u.Active {
				t.Fatalf("after a refused deactivation: %+v, %v", u, err)
			}
			return fs
		}
		t.Run("HeirIDPartnerUserAnsweredLikeUnknown", func(t *testing.T) {
			want := refused(t, accounts.DeactivateInput{HeirID: unknown}, "heir_id")
			if got := refused(t, accounts.DeactivateInput{HeirID: f.UserB.ID}, "heir_id"); !reflect.DeepEqual(got, want) {
				t.Fatalf("partner user as heir answers %+v; unknown answers %+v", got, want)
			}
		})
		t.Run("HeirsPartnerIDMustExist", func(t *testing.T) {
			refused(t, accounts.DeactivateInput{Heirs: []accounts.PartnerHeir{{PartnerID: f.PartnerA.ID, ToOwnerID: f.Buyer.ID},
				{PartnerID: unknown, ToOwnerID: f.Buyer.ID}}}, "heirs[1].partner_id")
		})
		t.Run("HeirsToOwnerIDMustBeStaff", func(t *testing.T) {
			want := refused(t, accounts.DeactivateInput{Heirs: []accounts.PartnerHeir{{PartnerID: f.PartnerB.ID, ToOwnerID: unknown}}}, "heirs[0].to_owner_id")
			got := refused(t, accounts.DeactivateInput{Heirs: []accounts.PartnerHeir{{PartnerID: f.PartnerB.ID, ToOwnerID: f.UserA.ID}}}, "heirs[0].to_owner_id")
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("partner user as heir answers %+v; unknown answers %+v", got, want)
			}
		})
		t.Run("OK", func(t *testing.T) {
			if _, err := f.Acc.Deactivate(ctx, f.Viewer.ID, accounts.DeactivateInput{HeirID: f.Buyer.ID}); err != nil {
				t.Fatal(err)
			}
		})
	})
}
