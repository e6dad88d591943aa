package portal

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"entgo.io/ent/dialect"
)

// FuzzIdempotencyKey sends arbitrary Idempotency-Key values with a real
// state-changing request: the answer is the post (201), a replay of it,
// or a clear refusal of the key (422) or of a key in use (409) — never a
// 500, and never a second post for one accepted key.
func FuzzIdempotencyKey(f *testing.F) {
	for _, k := range []string{"a", "order-7-ack", strings.Repeat("k", 255), strings.Repeat("k", 256), "", " ", "é", "a\tb", "\x00", "key with spaces"} {
		f.Add(k)
	}
	e := newEnv(f, dialect.SQLite)
	grp := e.orderVars()["GRP"]
	path := "/api/v1/groups/" + grp + "/posts"
	s := e.sessions[wBuyer]
	f.Fuzz(func(t *testing.T, key string) {
		send := func() (int, string) {
			r := httptest.NewRequest("POST", path, strings.NewReader(fmt.Sprintf(`{"body":%q}`, "fuzz")))
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set("X-CSRF-Token", s.csrf)
			r.Header.Set("Cookie", e.srv.cookieName+"="+s.cookie)
			r.Header["Idempotency-Key"] = []string{key}
			resp, err := e.srv.App().Test(r, 5000)
			if err != nil && strings.ContainsFunc(key, func(r rune) bool { return r < 0x20 && r != '\t' || r == 0x7f }) {
				return 400, "" // not a header value: refused by the HTTP parser, as a server answers 400
			}
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			buf := make([]byte, 4096)
			n, _ := resp.Body.Read(buf)
			b.Write(buf[:n])
			return resp.StatusCode, b.String()
		}
		st, body := send()
		switch st {
		case 201, 422, 400:
		default:
			t.Fatalf("key %q: status %d %s", key, st, body)
		}
		// Surrounding whitespace is not part of a header value (and a
		// client sends CR and LF in one as spaces), so a key of blanks
		// is no key: each request stands alone.
		if st == 201 && strings.Trim(strings.NewReplacer("\r", " ", "\n", " ").Replace(key), " \t") != "" {
			st2, body2 := send()
			if st2 != 201 || body2 != body {
				t.Fatalf("key %q: retry answered %d %q, first %q", key, st2, body2, body)
			}
		}
	})
}
