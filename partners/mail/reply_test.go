package mail

import (
	"errors"
	"strings"
	"testing"
)

func TestReplyAddress(t *testing.T) {
	k, other := NewKeys([]byte("0123456789abcdef0123456789abcdef")), NewKeys([]byte("another key, another install...."))
	for _, c := range []struct {
		name         string
		g            int
		r            Recipient
		wantC, wantU int
	}{
		{"Contact", 12, Recipient{ContactID: 34}, 34, 0},
		{"PartnerUser", 7, Recipient{ContactID: 3, UserID: 9}, 3, 9},
		{"Staff", 1, Recipient{UserID: 5}, 0, 5},
		{"LargeIDs", 2147483647, Recipient{ContactID: 2147483647, UserID: 2147483647}, 2147483647, 2147483647},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := k.ReplyAddress("Mail.Example.COM", c.g, c.r)
			local, domain, _ := strings.Cut(a, "@")
			if a != strings.ToLower(a) || domain != "mail.example.com" || len(local) > 64 || !strings.HasPrefix(local, "reply+") {
				t.Fatalf("address %q", a)
			}
			for _, spelling := range []string{a, strings.ToUpper(a), "<" + a + ">"} {
				g, ci, u, err := k.ParseReplyAddress(spelling)
				if err != nil || g != c.g || ci != c.wantC || u != c.wantU {
					t.Fatalf("parse %q = %d %d %d %v", spelling, g, ci, u, err)
				}
			}
			if _, _, _, err := other.ParseReplyAddress(a); !errors.Is(err, ErrBadToken) {
				t.Fatalf("another key's address accepted: %v", err)
			}
			// Altering the group while keeping the MAC must fail.
			forged := strings.Replace(a, "+g", "+g1", 1)
			if _, _, _, err := k.ParseReplyAddress(forged); !errors.Is(err, ErrBadToken) {
				t.Fatalf("forged %q accepted: %v", forged, err)
			}
		})
	}
	for _, bad := range []string{"", "reply@x", "reply+@x", "reply+g1c1u0@x", "reply+g1c1u0.@x", "noreply+g1c1u0.aaaa@x",
		"reply+g0c1u0." + k.replyMAC("g0c1u0") + "@x", "reply+g1c0u0." + k.replyMAC("g1c0u0") + "@x",
		"reply+g01c1u0." + k.replyMAC("g01c1u0") + "@x", "reply+g-1c1u0." + k.replyMAC("g-1c1u0") + "@x"} {
		if _, _, _, err := k.ParseReplyAddress(bad); !errors.Is(err, ErrBadToken) {
			t.Errorf("%q accepted: %v", bad, err)
		}
	}
	if _, _, _, err := (Keys{}).ParseReplyAddress(k.ReplyAddress("x", 1, Recipient{ContactID: 1})); !errors.Is(err, ErrBadToken) {
		t.Errorf("no key accepted: %v", err)
	}
}

func FuzzParseReplyAddress(f *testing.F) {
	k := NewKeys([]byte("0123456789abcdef0123456789abcdef"))
	f.Add(k.ReplyAddress("example.com", 12, Recipient{ContactID: 34, UserID: 5}))
	f.Add("reply+g1c2u3.aaaaaaaaaaaaaaaa@x")
	f.Add("REPLY+G1C2U3@")
	f.Add("<reply+g99999999999c1u0.x@y>")
	f.Fuzz(func(t *testing.T, addr string) {
		g, c, u, err := k.ParseReplyAddress(addr)
		if err != nil {
			return
		}
		if g <= 0 || c < 0 || u < 0 || (c == 0 && u == 0) {
			t.Fatalf("%q gave %d %d %d", addr, g, c, u)
		}
		// Whatever parses names what ReplyAddress makes again.
		again := k.ReplyAddress("d", g, Recipient{ContactID: c, UserID: u})
		if g2, c2, u2, err := k.ParseReplyAddress(again); err != nil || g2 != g || c2 != c || u2 != u {
			t.Fatalf("round trip of %q: %d %d %d %v", again, g2, c2, u2, err)
		}
	})
}
