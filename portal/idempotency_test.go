package portal

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	"entgo.io/ent/dialect"

	"github.com/tierlink/tierlink/partners/shipments"
)

func TestIdempotencyKey(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	vars := e.orderVars()
	body := fmt.Sprintf(`{"partner_id":%d,"lines":[{"order_id":%s,"line_no":2,"quantity":0.25}]}`, e.f.PartnerA.ID, vars["ORD"])
	post := func(w who, key, b string) (int, string, string) {
		r := e.req(w, "POST", "/api/v1/shipments", b)
		if key != "" {
			r.Header.Set("Idempotency-Key", key)
		}
		resp := e.do(r)
		out := readAll(resp)
		return resp.StatusCode, out, resp.Header.Get("Idempotent-Replayed")
	}
	count := func() int {
		p, err := e.f.Shipments.List(e.f.System(), shipments.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		return len(p.Items)
	}
	before := count()
	st1, b1, _ := post(wPartner, "phone-retry-1", body)
	st2, b2, replay := post(wPartner, "phone-retry-1", body)
	if st1 != 201 || st2 != 201 || b1 != b2 || replay != "true" || count() != before+1 {
		t.Fatalf("replay: %d %d replay=%q count %d→%d", st1, st2, replay, before, count())
	}
	t.Run("ErrSameKeyOtherBody", func(t *testing.T) {
		st, out, _ := post(wPartner, "phone-retry-1", strings.Replace(body, "0.25", "0.3", 1))
		if st != 422 || !strings.Contains(out, "different request") || count() != before+1 {
			t.Fatalf("%d %s", st, out)
		}
	})
	t.Run("ErrMalformedKey", func(t *testing.T) {
		for _, k := range []string{strings.Repeat("k", 256), "has space", "tab\there"} {
			if st, out, _ := post(wPartner, k, body); st != 422 || !strings.Contains(out, "Idempotency-Key") {
				t.Errorf("key %q: %d %s", k, st, out)
			}
		}
	})
	t.Run("ScopedToCaller", func(t *testing.T) {
		st, _, replay := post(wBuyer, "phone-retry-1", body)
		if st != 201 || replay != "" || count() != before+2 {
			t.Fatalf("%d replay=%q", st, replay)
		}
	})
	t.Run("ErrorsAreReplayedToo", func(t *testing.T) {
		bad := strings.Replace(body, "0.25", "99999", 1)
		st1, b1, _ := post(wPartner, "bad-1", bad)
		st2, b2, replay := post(wPartner, "bad-1", bad)
		var p1, p2 Problem
		json.Unmarshal([]byte(b1), &p1)
		json.Unmarshal([]byte(b2), &p2)
		if st1 != 422 || st2 != 422 || replay != "true" || p1.Detail != p2.Detail {
			t.Fatalf("%d %d %q", st1, st2, replay)
		}
	})
	t.Run("ConcurrentRetriesMakeOne", func(t *testing.T) {
		n := count()
		var wg sync.WaitGroup
		codes := make([]int, 8)
		for i := range codes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				codes[i], _, _ = post(wPartner, "storm-1", body)
			}()
		}
		wg.Wait()
		created := 0
		for _, c := range codes {
			switch c {
			case 201:
				created++
			case 409:
			default:
				t.Fatalf("codes %v", codes)
			}
		}
		if created == 0 || count() != n+1 {
			t.Fatalf("codes %v, shipments %d → %d", codes, n, count())
		}
	})
}
