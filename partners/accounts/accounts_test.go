package accounts_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tierlink/tierlink/partners"
	"github.com/tierlink/tierlink/partners/accounts"
	"github.com/tierlink/tierlink/partners/partnerstest"
)

func TestPasswordHash(t *testing.T) {
	h := accounts.HashPassword("s3cret-enough-pw", accounts.OWASPParams)
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash = %s", h)
	}
	if ok, err := accounts.CheckPassword("s3cret-enough-pw", h); !ok || err != nil {
		t.Fatalf("right password: %v %v", ok, err)
	}
	if ok, _ := accounts.CheckPassword("wrong", h); ok {
		t.Fatal("wrong password accepted")
	}
	if h2 := accounts.HashPassword("s3cret-enough-pw", accounts.OWASPParams); h2 == h {
		t.Fatal("two hashes share a salt")
	}
	for _, bad := range []string{"", "$argon2id$", "$bcrypt$x$y$z$w", "$argon2id$v=19$m=9999999,t=1,p=1$AAAA$AAAA"} {
		if ok, err := accounts.CheckPassword("x", bad); ok || err == nil {
			t.Errorf("CheckPassword(%q) = %v, %v", bad, ok, err)
		}
	}
}

func TestLoginAndSessions(t *testing.T) {
	partnerstest.ForEachDialect(t, func(t *testing.T, f *partnerstest.Fixture) {
		ctx := context.Background()
		in := accounts.LoginInput{Email: " Buyer@Co.Test ", Password: partnerstest.Password}
		tok1, s1, err := f.Acc.Login(ctx, in, "10.0.0.1", "test")
		if err != nil || s1.Viewer.UserID != f.Buyer.ID || s1.CSRF == "" {
			t.Fatalf("login = %+v, %v", s1, err)
		}
		tok2, _, err := f.Acc.Login(ctx, in, "10.0.0.1", "test")
		if err != nil || tok1 == tok2 {
			t.Fatal("each login must get a new session id")
		}
		got, err := f.Acc.Authenticate(ctx, tok1)
		if err != nil || got.Viewer.UserID != f.Buyer.ID || got.CSRF != s1.CSRF {
			t.Fatalf("authenticate = %+v, %v", got, err)
		}
		if err := f.Acc.Logout(ctx, tok1); err != nil {
			t.Fatal(err)
		}
		_, err = f.Acc.Authenticate(ctx, tok1)
		partnerstest.WantCode(t, err, partners.EUnauthenticated)
		_, err = f.Acc.Authenticate(ctx, "made-up-by-client")
		partnerstest.WantCode(t, err, partners.EUnauthenticated)
		t.Run("Expiry", func(t *testing.T) {
			now := time.Now()
			f.Acc.SetClock(func() time.Time { return now })
			defer f.Acc.SetClock(time.Now)
			tok, _, err := f.Acc.Login(ctx, in, "10.0.0.1", "")
			if err != nil {
				t.Fatal(err)
			}
			now = now.Add(f.Acc.SessionTTL - time.Minute)
			if _, err := f.Acc.Authenticate(ctx, tok); err != nil {
				t.Fatalf("session died early: %v", err)
			}
			now = now.Add(f.Acc.SessionTTL - time.Minute) // slid forward by the use above
			if _, err := f.Acc.Authenticate(ctx, tok); err != nil {
				t.Fatalf("sliding expiry did not slide: %v", err)
			}
			now = now.Add(f.Acc.SessionTTL + time.Minute)
			_, err = f.Acc.Authenticate(ctx, tok)
			partnerstest.WantCode(t, err, partners.EUnauthenticated)
		})
		t.Run("ErrWrongPasswordAndUnknownUserLookAlike", func(t *testing.T) {
			_, _, err1 := f.Acc.Login(ctx, accounts.LoginInput{Email: "buyer@co.test", Password: "nope"}, "10.0.0.2", "")
			_, _, err2 := f.Acc.Login(ctx, accounts.LoginInput{Email: "nobody@co.test", Password: "nope"}, "10.0.0.2", "")
			if err1 == nil || err2 == nil || err1.Error() != err2.Error() {
				t.Fatalf("%v vs %v", err1, err2)
			}
		})
	})
}

func TestLoginThrottle(t *testing.T) {
	partnerstest.ForEachDialect(t, func(t *testing.T, f *partnerstest.Fixture) {
		ctx := context.Background()
		bad := accounts.LoginInput{Email: "viewer@co.test", Password: "wrong password"}
		good := accounts.LoginInput{Email: "viewer@co.test", Password: partnerstest.Password}
		// Concurrent failures are all counted: none slips past the limit.
		var wg sync.WaitGroup
		for i := 0; i < f.Acc.Throttle.PerAccount; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				f.Acc.Login(ctx, bad, "10.9.0.1", "")
			}()
		}
		wg.Wait()
		_, _, err := f.Acc.Login(ctx, good, "10.9.0.2", "")
		partnerstest.WantCode(t, err, partners.ERateLimited)
		// Another account from another address is unaffected.
		if _, _, err := f.Acc.Login(ctx, accounts.LoginInput{Email: "admin@co.test", Password: partnerstest.Password}, "10.9.0.3", ""); err != nil {
			t.Fatalf("other account: %v", err)
		}
		t.Run("PerAddress", func(t *testing.T) {
			for i := 0; i < f.Acc.Throttle.PerAddress; i++ {
				f.Acc.Login(ctx, accounts.LoginInput{Email: "spray" + string(rune('a'+i%26)) + "@x.test", Password: "x"}, "10.8.0.1", "")
			}
			_, _, err := f.Acc.Login(ctx, accounts.LoginInput{Email: "admin@co.test", Password: partnerstest.Password}, "10.8.0.1", "")
			partnerstest.WantCode(t, err, partners.ERateLimited)
		})
		t.Run("LockExpires", func(t *testing.T) {
			f.Acc.SetClock(func() time.Time { return time.Now().Add(f.Acc.Throttle.Lock + f.Acc.Throttle.Window + time.Minute) })
			defer f.Acc.SetClock(time.Now)
			if _, _, err := f.Acc.Login(ctx, good, "10.9.0.2", ""); err != nil {
				t.Fatalf("after lock: %v", err)
			}
		})
	})
}

func TestTokens(t *testing.T) {
	partnerstest.ForEachDialect(t, func(t *testing.T, f *partnerstest.Fixture) {
		ctx := f.Ctx(f.Buyer)
		nt, err := f.Acc.CreateToken(ctx, accounts.TokenInput{Name: "erp-sync"})
		if err != nil || !strings.HasPrefix(nt.Secret, "tl_"+nt.Prefix+"_") {
			t.Fatalf("token = %+v, %v", nt, err)
		}
		v, err := f.Acc.AuthenticateToken(context.Background(), nt.Secret)
		if err != nil || v.UserID != f.Buyer.ID {
			t.Fatalf("auth = %+v, %v", v, err)
		}
		// Others cannot see or revoke it; admins can.
		_, err = f.Acc.RevokeToken(f.Ctx(f.Buyer2), nt.ID)
		partnerstest.WantCode(t, err, partners.ENotFound)
		if ts, _ := f.Acc.ListTokens(f.Ctx(f.Buyer2), accounts.TokenFilter{}); len(ts.Items) != 0 {
			t.Fatalf("buyer2 sees %v", ts.Items)
		}
		if ts, _ := f.Acc.ListTokens(f.Ctx(f.Admin), accounts.TokenFilter{}); len(ts.Items) != 1 {
			t.Fatalf("admin sees %v", ts.Items)
		}
		if _, err := f.Acc.RevokeToken(ctx, nt.ID); err != nil {
			t.Fatal(err)
		}
		_, err = f.Acc.AuthenticateToken(context.Background(), nt.Secret)
		partnerstest.WantCode(t, err, partners.EUnauthenticated)
		_, err = f.Acc.AuthenticateToken(context.Background(), "tl_forged_token")
		partnerstest.WantCode(t, err, partners.EUnauthenticated)
	})
}

func TestInvitations(t *testing.T) {
	partnerstest.ForEachDialect(t, func(t *testing.T, f *partnerstest.Fixture) {
		ctx := f.Ctx(f.Buyer)
		inv, err := f.Acc.CreateInvitation(ctx, accounts.InvitationInput{ContactID: f.ContactA2.ID})
		if err != nil {
			t.Fatal(err)
		}
		// Two accepts race; exactly one wins.
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = f.Acc.AcceptInvitation(context.Background(), inv.Token, accounts.AcceptInput{Name: "孙丽", Password: partnerstest.Password})
			}()
		}
		wg.Wait()
		if (errs[0] == nil) == (errs[1] == nil) {
			t.Fatalf("accept race: %v / %v", errs[0], errs[1])
		}
		v, err := f.Acc.ViewerFor(f.System(), "sun@a.test")
		if err != nil {
			t.Fatal(err)
		}
		u, err := f.Acc.User(f.System(), v.UserID)
		if err != nil || u.Role != "partner" || *u.PartnerID != f.PartnerA.ID {
			t.Fatalf("partner user = %+v, %v", u, err)
		}
		_, err = f.Acc.PendingInvitation(context.Background(), inv.Token)
		partnerstest.WantCode(t, err, partners.ENotFound)
		t.Run("ErrExpired", func(t *testing.T) {
			c2, err := f.Dir.CreateContact(f.System(), directoryContact(f))
			if err != nil {
				t.Fatal(err)
			}
			inv, err := f.Acc.CreateInvitation(ctx, accounts.InvitationInput{ContactID: c2.ID})
			if err != nil {
				t.Fatal(err)
			}
			f.Acc.SetClock(func() time.Time { return time.Now().Add(f.Acc.InvitationTTL + time.Hour) })
			defer f.Acc.SetClock(time.Now)
			_, err = f.Acc.AcceptInvitation(context.Background(), inv.Token, accounts.AcceptInput{Name: "Late", Password: partnerstest.Password})
			partnerstest.WantCode(t, err, partners.ENotFound)
		})
		t.Run("ErrPartnerCannotInvite", func(t *testing.T) {
			_, err := f.Acc.CreateInvitation(f.Ctx(f.UserA), accounts.InvitationInput{ContactID: f.ContactA.ID})
			partnerstest.WantCode(t, err, partners.EForbidden)
		})
		t.Run("ErrAlreadyUser", func(t *testing.T) {
			_, err := f.Acc.CreateInvitation(ctx, accounts.InvitationInput{ContactID: f.ContactA.ID})
			partnerstest.WantCode(t, err, partners.EConflict)
		})
	})
}

// wantEachOnce fails unless got holds every id of want exactly once.
func wantEachOnce(t *testing.T, got, want []int) {
	t.Helper()
	seen := map[int]int{}
	for _, id := range got {
		seen[id]++
	}
	for _, id := range want {
		if seen[id] != 1 {
			t.Fatalf("id %d served %d times; got %v, want each of %v once", id, seen[id], got, want)
		}
	}
	if len(got) != len(want) {
		t.Fatalf("got %v, want each of %v once", got, want)
	}
}

func TestListsPage(t *testing.T) {
	partnerstest.ForEachDialect(t, func(t *testing.T, f *partnerstest.Fixture) {
		sys := f.System()
		t.Run("Users", func(t *testing.T) {
			// Namesakes: the cursor must tell them apart.
			for _, e := range []string{"z1@co.test", "z2@co.test", "z3@co.test"} {
				if _, err := f.Acc.CreateUser(sys, accounts.UserInput{Email: e, Name: "Zhang Wei", Role: "viewer", Password: partnerstest.Password}); err != nil {
					t.Fatal(err)
				}
			}
			all, err := f.Acc.ListUsers(sys, accounts.UserFilter{Limit: 200})
			if err != nil || all.NextCursor != "" {
				t.Fatalf("all users: %v %q", err, all.NextCursor)
			}
			var want []int
			for _, u := range all.Items {
				want = append(want, u.ID)
			}
			got := partnerstest.CollectPages(t, func(cursor string) ([]int, string, error) {
				p, err := f.Acc.ListUsers(sys, accounts.UserFilter{Limit: 2, Cursor: cursor})
				var ids []int
				for _, u := range p.Items {
					ids = append(ids, u.ID)
				}
				return ids, p.NextCursor, err
			})
			wantEachOnce(t, got, want)
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("paged order %v, one page's %v", got, want)
				}
			}
			if len(want) != 9 {
				t.Fatalf("%d users, want 9", len(want))
			}
		})
		t.Run("Tokens", func(t *testing.T) {
			var want []int
			for i := 0; i < 5; i++ {
				nt, err := f.Acc.CreateToken(f.Ctx(f.Buyer), accounts.TokenInput{Name: "t"})
				if err != nil {
					t.Fatal(err)
				}
				want = append(want, nt.ID)
			}
			got := partnerstest.CollectPages(t, func(cursor string) ([]int, string, error) {
				p, err := f.Acc.ListTokens(f.Ctx(f.Buyer), accounts.TokenFilter{Limit: 2, Cursor: cursor})
				var ids []int
				for _, tk := range p.Items {
					ids = append(ids, tk.ID)
				}
				return ids, p.NextCursor, err
			})
			wantEachOnce(t, got, want)
		})
		t.Run("Invitations", func(t *testing.T) {
			for i := 0; i < 3; i++ {
				if _, err := f.Acc.CreateInvitation(f.Ctx(f.Buyer), accounts.InvitationInput{ContactID: f.ContactA2.ID}); err != nil {
					t.Fatal(err)
				}
			}
			all, _ := f.Acc.ListInvitations(sys, accounts.InvitationFilter{PartnerID: f.PartnerA.ID})
			var want []int
			for _, inv := range all.Items {
				want = append(want, inv.ID)
			}
			if len(want) != 4 { // the fixture's partner user's, and these
				t.Fatalf("%d invitations of partner A, want 4", len(want))
			}
			got := partnerstest.CollectPages(t, func(cursor string) ([]int, string, error) {
				p, err := f.Acc.ListInvitations(sys, accounts.InvitationFilter{PartnerID: f.PartnerA.ID, Limit: 2, Cursor: cursor})
				var ids []int
				for _, inv := range p.Items {
					ids = append(ids, inv.ID)
				}
				return ids, p.NextCursor, err
			})
			wantEachOnce(t, got, want)
		})
		t.Run("ErrForgedCursor", func(t *testing.T) {
			forged := partners.EncodeCursor(map[string]int{"i": 1 << 30})
			_, err := f.Acc.ListUsers(sys, accounts.UserFilter{Cursor: forged})
			partnerstest.WantCode(t, err, partners.EInvalid)
			_, err = f.Acc.ListTokens(sys, accounts.TokenFilter{Cursor: "not a cursor"})
			partnerstest.WantCode(t, err, partners.EInvalid)
			_, err = f.Acc.ListInvitations(sys, accounts.InvitationFilter{Limit: 201})
			partnerstest.WantCode(t, err, partners.EInvalid)
		})
	})
}
