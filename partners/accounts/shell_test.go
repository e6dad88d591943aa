package accounts_test

import (
	"context"
	"testing"

	"github.com/tierlink/tierlink/partners"
	"github.com/tierlink/tierlink/partners/accounts"
	"github.com/tierlink/tierlink/partners/directory"
	"github.com/tierlink/tierlink/partners/partnerstest"
)

func TestReactivate(t *testing.T) {
	partnerstest.ForEachDialect(t, func(t *testing.T, f *partnerstest.Fixture) {
		admin := f.Ctx(f.Admin)
		t.Run("ErrAlreadyActive", func(t *testing.T) {
			f.Refuses(t, partners.EConflict, "", func() error {
				_, err := f.Acc.Reactivate(admin, f.Buyer2.ID)
				return err
			})
		})
		if _, err := f.Acc.Deactivate(admin, f.Buyer2.ID, accounts.DeactivateInput{HeirID: f.Buyer.ID}); err != nil {
			t.Fatal(err)
		}
		t.Run("BuyerForbidden", func(t *testing.T) {
			f.Refuses(t, partners.EForbidden, "", func() error {
				_, err := f.Acc.Reactivate(f.Ctx(f.Buyer), f.Buyer2.ID)
				return err
			})
		})
		t.Run("OK", func(t *testing.T) {
			u, err := f.Acc.Reactivate(admin, f.Buyer2.ID)
			if err != nil {
				t.Fatal(err)
			}
			stored, err := f.Acc.User(admin, f.Buyer2.ID)
			if err != nil || !u.Active || !stored.Active || stored.DeactivatedAt != nil {
				t.Fatalf("after reactivate: %+v (stored %+v), %v", u, stored, err)
			}
			// They log in again with their old password.
			if _, _, err := f.Acc.Login(context.Background(), accounts.LoginInput{Email: stored.Email, Password: partnerstest.Password}, "10.0.0.9", "t"); err != nil {
				t.Fatalf("login after reactivation: %v", err)
			}
		})
	})
}

func TestSelfDeactivateRefusedWithField(t *testing.T) {
	partnerstest.ForEachDialect(t, func(t *testing.T, f *partnerstest.Fixture) {
		f.Refuses(t, partners.EConflict, "id", func() error {
			_, err := f.Acc.Deactivate(f.Ctx(f.Admin), f.Admin.ID, accounts.DeactivateInput{HeirID: f.Buyer.ID})
			return err
		})
		if u, err := f.Acc.User(f.Ctx(f.Admin), f.Admin.ID); err != nil || !u.Active {
			t.Fatalf("admin after refused self-deactivation: %+v, %v", u, err)
		}
	})
}

func TestUserTimeZone(t *testing.T) {
	partnerstest.ForEachDialect(t, func(t *testing.T, f *partnerstest.Fixture) {
		login := func(email string) accounts.Session {
			t.Helper()
			_, s, err := f.Acc.Login(context.Background(), accounts.LoginInput{Email: email, Password: partnerstest.Password}, "10.0.0.2", "t")
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		str := func(s string) *string { return &s }
		t.Run("CompanyByDefault", func(t *testing.T) {
			if s := login(f.Buyer.Email); s.TimeZone != "" {
				t.Fatalf("staff without a zone: %q", s.TimeZone)
			}
		})
		t.Run("PartnerZoneForPartnerUser", func(t *testing.T) {
			if _, err := f.Dir.UpdatePartner(f.Ctx(f.Admin), f.PartnerA.ID, directory.PartnerPatch{TimeZone: str("Europe/Berlin")}); err != nil {
				t.Fatal(err)
			}
			if s := login(f.UserA.Email); s.TimeZone != "Europe/Berlin" {
				t.Fatalf("partner user zone = %q", s.TimeZone)
			}
		})
		t.Run("OwnSettingWins", func(t *testing.T) {
			u, err := f.Acc.UpdateMe(f.Ctx(f.UserA), accounts.MeInput{TimeZone: str("America/New_York")})
			if err != nil || u.TimeZone != "America/New_York" {
				t.Fatalf("UpdateMe = %+v, %v", u, err)
			}
			if s := login(f.UserA.Email); s.TimeZone != "America/New_York" {
				t.Fatalf("zone = %q", s.TimeZone)
			}
		})
		t.Run("ErrNotAZone", func(t *testing.T) {
			for _, bad := range []string{"Mars/Olympus", "Local", ""} {
				f.Refuses(t, partners.EInvalid, "time_zone", func() error {
					_, err := f.Acc.UpdateMe(f.Ctx(f.Buyer), accounts.MeInput{TimeZone: str(bad)})
					return err
				})
			}
		})
		t.Run("ClearFollowsPartner", func(t *testing.T) {
			if _, err := f.Acc.UpdateMe(f.Ctx(f.UserA), accounts.MeInput{TimeZone: str("auto")}); err != nil {
				t.Fatal(err)
			}
			if s := login(f.UserA.Email); s.TimeZone != "Europe/Berlin" {
				t.Fatalf("zone = %q", s.TimeZone)
			}
		})
	})
}
