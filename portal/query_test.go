package portal

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/tierlink/tierlink/partners/documents"
	"github.com/tierlink/tierlink/partners/groups"
)

// The query binder sets every field type a query struct declares; before
// it did, int64 and bool parameters were dropped without a word.
func TestQueryParametersReachTheService(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	g, err := e.f.Groups.Create(e.f.Ctx(e.f.Buyer), groups.GroupInput{Name: "Feed", Kind: "partner", PartnerID: e.f.PartnerA.ID,
		ContactIDs: []int{e.f.ContactA.ID}})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		if _, err := e.f.Groups.Post(e.f.Ctx(e.f.Buyer), g.ID, groups.PostInput{Body: fmt.Sprint("message ", i)}); err != nil {
			t.Fatal(err)
		}
	}
	feed, err := e.f.Groups.Since(e.f.Ctx(e.f.Buyer), g.ID, 0, 100)
	if err != nil || len(feed) < 5 {
		t.Fatalf("feed: %v %d", err, len(feed))
	}
	third := feed[2].Seq

	t.Run("PostsAfterAFeedNumber", func(t *testing.T) {
		resp, b := e.call(wBuyer, "GET", fmt.Sprintf("/api/v1/groups/%d/posts?after=%d", g.ID, third), "")
		page := decode[groups.PostPage](t, b)
		if resp.StatusCode != 200 || len(page.Items) != len(feed)-3 {
			t.Fatalf("status %d, %d posts, want the %d after #%d: %s", resp.StatusCode, len(page.Items), len(feed)-3, third, b)
		}
		for _, p := range page.Items {
			if p.Seq <= third {
				t.Fatalf("post #%d is not after #%d", p.Seq, third)
			}
		}
	})

	t.Run("StreamResumesAfterAFeedNumber", func(t *testing.T) {
		s := e.openStreamAfter(wBuyer, fmt.Sprint(g.ID), fmt.Sprint(third))
		seq, _ := s.next()
		if seq != feed[3].Seq {
			t.Fatalf("the stream started at #%d, want #%d (the first after %d)", seq, feed[3].Seq, third)
		}
	})

	t.Run("ArchivedFilter", func(t *testing.T) {
		old, err := e.f.Groups.Create(e.f.Ctx(e.f.Buyer), groups.GroupInput{Name: "Old project", Kind: "internal"})
		if err != nil {
			t.Fatal(err)
		}
		yes := true
		if _, err := e.f.Groups.Update(e.f.Ctx(e.f.Buyer), old.ID, groups.GroupPatch{Archived: &yes}); err != nil {
			t.Fatal(err)
		}
		_, b := e.call(wBuyer, "GET", "/api/v1/groups?archived=true", "")
		page := decode[groups.Page](t, b)
		if len(page.Items) != 1 || page.Items[0].ID != old.ID {
			t.Fatalf("archived=true gave %+v, want only group %d", page.Items, old.ID)
		}
		_, b = e.call(wBuyer, "GET", "/api/v1/groups?archived=false", "")
		for _, it := range decode[groups.Page](t, b).Items {
			if it.ID == old.ID {
				t.Fatal("archived=false lists the archived group")
			}
		}
		resp, b := e.call(wBuyer, "GET", "/api/v1/groups?archived=yes", "")
		if p := decode[Problem](t, b); resp.StatusCode != 422 || len(p.Errors) != 1 || p.Errors[0].Field != "archived" {
			t.Fatalf("archived=yes: %d %+v", resp.StatusCode, p)
		}
	})

	t.Run("MandatoryCertificateAtUpload", func(t *testing.T) {
		resp, b := e.call(wBuyer, "POST", fmt.Sprintf("/api/v1/documents?partner_id=%d&kind=certificate&filename=iso.pdf&expires_on=2030-01-01&mandatory=true",
			e.f.PartnerA.ID), rawPDF(e, wBuyer))
		if resp.StatusCode != 201 {
			t.Fatalf("status %d: %s", resp.StatusCode, b)
		}
		d, err := e.f.Docs.Document(e.f.Ctx(e.f.Buyer), decode[documents.Document](t, b).ID)
		if err != nil || d.Certificate == nil || !d.Certificate.Mandatory {
			t.Fatalf("stored certificate is not mandatory: %v %+v", err, d.Certificate)
		}
	})

	t.Run("RepeatedParameterRefused", func(t *testing.T) {
		resp, b := e.call(wBuyer, "GET", "/api/v1/partners?limit=1&limit=2", "")
		if p := decode[Problem](t, b); resp.StatusCode != 422 || len(p.Errors) != 1 || p.Errors[0].Field != "limit" {
			t.Fatalf("status %d: %+v", resp.StatusCode, p)
		}
	})
}

// Every query struct of every API route can be bound: registration
// would have panicked otherwise, and the binder refuses a type it
// cannot set the moment it meets it.
func TestQueryStructsAreBindable(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	for path, ops := range e.srv.doc.ops {
		for method, o := range ops {
			if o.Query == nil {
				continue
			}
			plan := queryPlanOf(reflect.TypeOf(o.Query))
			rt := reflect.TypeOf(o.Query)
			for i := 0; i < rt.NumField(); i++ {
				if name := rt.Field(i).Tag.Get("query"); name != "" && name != "-" {
					if _, ok := plan[name]; !ok {
						t.Errorf("%s %s: query parameter %s is not bound", method, path, name)
					}
				}
			}
		}
	}
	for _, bad := range []any{
		struct {
			At time.Time `query:"at"`
		}{},
		struct {
			IDs []int `query:"ids"`
		}{},
	} {
		func() {
			defer func() {
				r := recover()
				if r == nil || !strings.Contains(fmt.Sprint(r), "cannot set") {
					t.Errorf("%T: recovered %v, want a panic naming the field", bad, r)
				}
			}()
			queryPlanOf(reflect.TypeOf(bad))
		}()
	}
}

// An id that is not a number, one that names nothing and one of another
// partner all get the same problem, so none can be told apart.
func TestPathIDsAnswerAlike(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	for _, a := range apiOps(e) {
		if !strings.Contains(a.path, ":id") {
			continue
		}
		body := ""
		if a.o.Body != nil {
			body = `{}`
		}
		t.Run(a.method+" "+a.path, func(t *testing.T) {
			var first Problem
			for i, id := range []string{"999999", "abc", "0", "-3", "1.5"} {
				resp, b := e.call(callerFor(a.o.Access), a.method, strings.ReplaceAll(a.path, ":id", id), body)
				p := decode[Problem](t, b)
				if resp.StatusCode != 404 {
					t.Fatalf("id %s: status %d: %s", id, resp.StatusCode, b)
				}
				if i == 0 {
					first = p
				} else if p.Detail != first.Detail || p.Title != first.Title || p.Type != first.Type || len(p.Errors) != 0 {
					t.Fatalf("id %s answers %+v, but an unknown id answers %+v", id, p, first)
				}
			}
		})
	}
}

// A documented path asked with a method it does not take is 405 with an
// Allow header listing exactly the methods it takes.
func TestWrongMethodIs405WithAllow(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	byPath := map[string][]string{}
	for p, ops := range e.srv.doc.ops {
		for m := range ops {
			byPath[p] = append(byPath[p], m)
		}
	}
	for p, methods := range byPath {
		for _, m := range []string{"GET", "POST", "PATCH", "PUT", "DELETE"} {
			if containsString(methods, m) {
				continue
			}
			t.Run(m+" "+p, func(t *testing.T) {
				resp, b := e.call(wBuyer, m, concrete(e, p), "")
				if resp.StatusCode != 405 {
					t.Fatalf("status %d: %s", resp.StatusCode, b)
				}
				allow := strings.Split(resp.Header.Get("Allow"), ", ")
				for _, want := range methods {
					if !containsString(allow, want) {
						t.Fatalf("Allow %q lacks %s", resp.Header.Get("Allow"), want)
					}
				}
				if p := decode[Problem](t, b); p.Status != 405 || p.Detail == "" {
					t.Fatalf("problem %+v", p)
				}
			})
		}
	}
}
