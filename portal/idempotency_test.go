package portal

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/tierlink/tierlink/ent/changerequest"
	"github.com/tierlink/tierlink/ent/database/dbtest"
	"github.com/tierlink/tierlink/ent/idempotencykey"
	"github.com/tierlink/tierlink/ent/post"
	"github.com/tierlink/tierlink/partners"
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

// idempotentCase is one route served through idempotent, sent once with
// a key by who, with how to count the records its work stores.
type idempotentCase struct {
	name, path, body string
	who              who
	status           int
	count            func(e *env) int
}

func idempotentCases(t *testing.T, e *env) []idempotentCase {
	vars := e.orderVars()
	sys := e.f.System()
	n := func(q interface {
		Count(context.Context) (int, error)
	}) int {
		c, err := q.Count(sys)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	return []idempotentCase{
		{"Shipment", "/api/v1/shipments", fmt.Sprintf(`{"partner_id":%d,"lines":[{"order_id":%s,"line_no":2,"quantity":0.25}]}`, e.f.PartnerA.ID, vars["ORD"]),
			wPartner, 201, func(e *env) int { return n(e.f.DB.Client.Shipment.Query()) }},
		{"ShipmentEvent", "/api/v1/shipments/" + vars["SHIP"] + "/events", `{"kind":"shipped","location":"Ningbo"}`,
			wPartner, 201, func(e *env) int { return n(e.f.DB.Client.ShipmentEvent.Query()) }},
		{"GroupPost", "/api/v1/groups/" + vars["GRP"] + "/posts", `{"body":"Trucks leave at six"}`,
			wPartner, 201, func(e *env) int { return n(e.f.DB.Client.Post.Query().Where(post.KindEQ(post.KindMessage))) }},
		{"Acknowledgement", "/api/v1/orders/" + vars["ORD"] + "/acknowledgements", `{"lines":[{"line_no":3,"action":"accept"}]}`,
			wPartner, 201, func(e *env) int { return n(e.f.DB.Client.Acknowledgement.Query()) }},
		{"CardAction", "/api/v1/cards/" + vars["CRCARD"] + "/actions", `{"action":"approve"}`,
			wBuyer, 200, func(e *env) int {
				return n(e.f.DB.Client.ChangeRequest.Query().Where(changerequest.StateNEQ(changerequest.StateOpen)))
			}},
	}
}

// sendKeyed posts body to path as w with an Idempotency-Key.
func (e *env) sendKeyed(w who, path, key, body string) (int, string, bool) {
	r := e.req(w, "POST", path, body)
	r.Header.Set("Idempotency-Key", key)
	resp := e.do(r)
	out := readAll(resp)
	return resp.StatusCode, out, resp.Header.Get("Idempotent-Replayed") == "true"
}

// recordOf is what names the record in an answer: its id, or the
// shipment event's time and place, or the card and its outcome.
func recordOf(t *testing.T, body string) string {
	var a struct {
		ID    int `json:"id"`
		Event *struct {
			At       time.Time `json:"at"`
			Location string    `json:"location"`
		} `json:"event"`
		Card *struct {
			ID   int `json:"id"`
			Card struct {
				State, Outcome string
			} `json:"card"`
		} `json:"card"`
	}
	if err := json.Unmarshal([]byte(body), &a); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	switch {
	case a.Event != nil:
		// PostgreSQL keeps microseconds of the nanoseconds answered first.
		return a.Event.At.Truncate(time.Second).String() + " " + a.Event.Location
	case a.Card != nil:
		return fmt.Sprintf("card %d %s %s", a.Card.ID, a.Card.Card.State, a.Card.Card.Outcome)
	}
	return fmt.Sprint("id ", a.ID)
}

// A crash between the work's commit and the saved answer leaves a key
// committed with no answer (here: the key is put back in that state).
// Every retry of it is answered at once from the record the work
// created, and the work is not applied again.
func TestIdempotencyRetryAfterCrash(t *testing.T) {
	for _, d := range dbtest.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			e := newEnv(t, d)
			keys := e.f.DB.Client.IdempotencyKey
			for _, tc := range idempotentCases(t, e) {
				t.Run(tc.name, func(t *testing.T) {
					key := "crash-" + tc.name
					st, first, _ := e.sendKeyed(tc.who, tc.path, key, tc.body)
					if st != tc.status {
						t.Fatalf("first: %d %s", st, first)
					}
					stored := tc.count(e)
					// What a crash right after the commit leaves.
					if n, err := keys.Update().Where(idempotencykey.Key(key)).SetState(idempotencykey.StateCommitted).
						SetStatusCode(0).ClearResponse().Save(e.f.System()); err != nil || n != 1 {
						t.Fatalf("unsave the answer: %d %v", n, err)
					}
					for i := 0; i < 2; i++ {
						st, again, replayed := e.sendKeyed(tc.who, tc.path, key, tc.body)
						if st != tc.status || !replayed || recordOf(t, again) != recordOf(t, first) {
							t.Fatalf("retry %d: %d replayed=%v %s\nfirst: %s", i, st, replayed, again, first)
						}
					}
					if got := tc.count(e); got != stored {
						t.Fatalf("the retry applied the work again: %d → %d", stored, got)
					}
					k, err := keys.Query().Where(idempotencykey.Key(key)).Only(e.f.System())
					if err != nil || k.State != idempotencykey.StateDone || k.StatusCode != tc.status {
						t.Fatalf("the rebuilt answer was not saved: %+v %v", k, err)
					}
				})
			}
		})
	}
}

// Every route marked Idempotent in the API names its record on the key
// and can answer from it.
func TestIdempotentRoutesAnswerFromTheirRecord(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	found := 0
	for path, ms := range e.srv.doc.ops {
		for m, o := range ms {
			if !o.Idempotent {
				continue
			}
			found++
			r, ok := idempotentRoutes[m+" "+path]
			if !ok {
				t.Errorf("%s %s is idempotent but has no row in idempotentRoutes", m, path)
			} else if !partners.IdempotentRecordType(r.record) {
				t.Errorf("%s %s names a %q, which the key purge does not know", m, path, r.record)
			}
		}
	}
	if found != len(idempotentRoutes) {
		t.Errorf("%d idempotent routes, %d rows in idempotentRoutes", found, len(idempotentRoutes))
	}
	// And the work names it in its transaction.
	for _, tc := range idempotentCases(t, e) {
		key := "names-" + tc.name
		if st, out, _ := e.sendKeyed(tc.who, tc.path, key, tc.body); st != tc.status {
			t.Fatalf("%s: %d %s", tc.name, st, out)
		}
		k, err := e.f.DB.Client.IdempotencyKey.Query().Where(idempotencykey.Key(key)).Only(e.f.System())
		if err != nil || k.RecordID == nil || k.RecordType == "" {
			t.Errorf("%s: the key names no record: %+v %v", tc.name, k, err)
		}
	}
}

// A retry after the key's answer expired (the phone came back online
// two days later) is answered with the record, not applied a second
// time, also after the purge has run; a key reused for another request
// after expiry is a new request; and a key whose record is gone is
// purged.
func TestIdempotencyKeyPastExpiry(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	clock := time.Now()
	e.srv.now = func() time.Time { return clock }
	keys := e.f.DB.Client.IdempotencyKey
	for _, tc := range idempotentCases(t, e)[:3] {
		t.Run(tc.name, func(t *testing.T) {
			key := "late-" + tc.name
			st, first, _ := e.sendKeyed(tc.who, tc.path, key, tc.body)
			if st != tc.status {
				t.Fatalf("first: %d %s", st, first)
			}
			stored := tc.count(e)
			clock = clock.Add(IdempotencyTTL + time.Hour)
			st, again, replayed := e.sendKeyed(tc.who, tc.path, key, tc.body)
			if st != tc.status || !replayed || recordOf(t, again) != recordOf(t, first) || tc.count(e) != stored {
				t.Fatalf("retry past expiry: %d replayed=%v %s, stored %d → %d", st, replayed, again, stored, tc.count(e))
			}
			clock = clock.Add(IdempotencyTTL)
			if _, err := partners.PurgeIdempotencyKeys(context.Background(), e.f.DB.Client, clock); err != nil {
				t.Fatal(err)
			}
			st, again, replayed = e.sendKeyed(tc.who, tc.path, key, tc.body)
			if st != tc.status || !replayed || recordOf(t, again) != recordOf(t, first) || tc.count(e) != stored {
				t.Fatalf("retry after the purge: %d replayed=%v %s, stored %d → %d", st, replayed, again, stored, tc.count(e))
			}
			k, err := keys.Query().Where(idempotencykey.Key(key)).Only(e.f.System())
			if err != nil || k.Response != nil || k.RecordID == nil {
				t.Fatalf("the purged key should keep its record, not its answer: %+v %v", k, err)
			}
		})
	}
	t.Run("ReusedForAnotherRequest", func(t *testing.T) {
		tc := idempotentCases(t, e)[2]
		clock = clock.Add(3 * IdempotencyTTL)
		stored := tc.count(e)
		st, out, replayed := e.sendKeyed(tc.who, tc.path, "late-"+tc.name, `{"body":"A new message under an old key"}`)
		if st != 201 || replayed || tc.count(e) != stored+1 {
			t.Fatalf("%d replayed=%v %s", st, replayed, out)
		}
	})
	t.Run("RecordGoneIsPurged", func(t *testing.T) {
		k, err := keys.Query().Where(idempotencykey.Key("late-ShipmentEvent")).Only(e.f.System())
		if err != nil {
			t.Fatal(err)
		}
		if err := e.f.DB.Client.ShipmentEvent.DeleteOneID(*k.RecordID).Exec(e.f.System()); err != nil {
			t.Fatal(err)
		}
		if _, err := partners.PurgeIdempotencyKeys(context.Background(), e.f.DB.Client, clock.Add(2*IdempotencyTTL)); err != nil {
			t.Fatal(err)
		}
		left, _ := keys.Query().Where(idempotencykey.KeyHasPrefix("late-")).Count(e.f.System())
		if gone, _ := keys.Query().Where(idempotencykey.Key("late-ShipmentEvent")).Exist(e.f.System()); gone || left != 2 {
			t.Fatalf("purge: event's key still there=%v, %d late keys left (want the shipment's and the post's)", gone, left)
		}
	})
}
