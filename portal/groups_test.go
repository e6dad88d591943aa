package portal

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/tierlink/tierlink/partners/groups"
)

// sseClient reads a live feed over a real connection.
type sseClient struct {
	t      testing.TB
	resp   *http.Response
	r      *bufio.Reader
	cancel context.CancelFunc
}

func (e *env) openStream(w who, groupID string, lastEventID string) *sseClient {
	e.t.Helper()
	return e.openStreamFrom(w, groupID, "0", lastEventID)
}

// openStreamAfter opens a feed's stream that starts after a feed number.
func (e *env) openStreamAfter(w who, groupID, after string) *sseClient {
	e.t.Helper()
	return e.openStreamFrom(w, groupID, after, "")
}

func (e *env) openStreamFrom(w who, groupID, after, lastEventID string) *sseClient {
	e.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r, _ := http.NewRequestWithContext(ctx, "GET", e.live()+"/api/v1/groups/"+groupID+"/stream?after="+after, nil)
	if lastEventID != "" {
		r.Header.Set("Last-Event-ID", lastEventID)
	}
	s := e.sessions[w]
	r.AddCookie(&http.Cookie{Name: e.srv.cookieName, Value: s.cookie})
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(cancel)
	return &sseClient{t: e.t, resp: resp, r: bufio.NewReader(resp.Body), cancel: cancel}
}

// next returns the next post event, failing after a while.
func (c *sseClient) next() (int64, groups.Post) {
	c.t.Helper()
	type ev struct {
		id   int64
		data string
		err  error
	}
	ch := make(chan ev, 1)
	go func() {
		var e ev
		for {
			line, err := c.r.ReadString('\n')
			if err != nil {
				e.err = err
				ch <- e
				return
			}
			line = strings.TrimRight(line, "\n")
			switch {
			case strings.HasPrefix(line, "id: "):
				e.id, _ = strconv.ParseInt(line[4:], 10, 64)
			case strings.HasPrefix(line, "data: "):
				e.data = line[6:]
			case line == "" && e.data != "":
				ch <- e
				return
			}
		}
	}()
	select {
	case e := <-ch:
		if e.err != nil {
			c.t.Fatalf("stream: %v", e.err)
		}
		var p groups.Post
		if err := json.Unmarshal([]byte(e.data), &p); err != nil {
			c.t.Fatal(err)
		}
		return e.id, p
	case <-time.After(10 * time.Second):
		c.t.Fatal("no event within 10s")
	}
	return 0, groups.Post{}
}

func (c *sseClient) close() { c.cancel(); c.resp.Body.Close() }

// A supplier's open stream sees the buyer's decision on a card change it
// in place; a reconnect with Last-Event-ID resumes with no gap and no
// duplicate; a foreign partner cannot open the stream.
func TestLiveFeedOverHTTP(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	vars := e.orderVars()
	grp := vars["GRP"]
	sup := e.openStream(wPartner, grp, "")
	if sup.resp.StatusCode != 200 || !strings.HasPrefix(sup.resp.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("stream: %d %s", sup.resp.StatusCode, sup.resp.Header.Get("Content-Type"))
	}
	// The replay holds the setup's cards; read up to the change-request card.
	crID, _ := strconv.Atoi(vars["CRCARD"])
	var last int64
	for {
		seq, p := sup.next()
		last = seq
		if p.ID == crID {
			if p.Card.State != "open" {
				t.Fatalf("card = %+v", p.Card)
			}
			break
		}
	}
	resp, b := e.call(wBuyer, "POST", "/api/v1/cards/"+vars["CRCARD"]+"/actions", `{"action":"approve"}`)
	if resp.StatusCode != 200 {
		t.Fatalf("approve: %d %s", resp.StatusCode, b)
	}
	for {
		seq, p := sup.next()
		if seq <= last {
			t.Fatalf("number %d after %d", seq, last)
		}
		last = seq
		if p.ID == crID {
			if p.Card.State != "done" || p.Card.Outcome != "approved" || p.Card.ActedBy != e.f.Buyer.Name || len(p.Card.Actions) != 0 {
				t.Fatalf("card after approval = %+v", p.Card)
			}
			break
		}
	}
	// Drain the system post of the approval, then cut the stream.
	seq, _ := sup.next()
	last = seq
	sup.close()
	var posted []int
	for i := range 3 {
		resp, b := e.call(wBuyer, "POST", "/api/v1/groups/"+grp+"/posts", fmt.Sprintf(`{"body":"missed %d"}`, i))
		if resp.StatusCode != 201 {
			t.Fatalf("post: %d %s", resp.StatusCode, b)
		}
		posted = append(posted, decode[groups.Post](t, b).ID)
	}
	again := e.openStream(wPartner, grp, strconv.FormatInt(last, 10))
	for i := range 3 {
		seq, p := again.next()
		if seq != last+int64(i)+1 || p.ID != posted[i] {
			t.Fatalf("resumed event %d: number %d post %d, want %d post %d", i, seq, p.ID, last+int64(i)+1, posted[i])
		}
	}
	again.close()

	foreign := e.openStream(wForeign, grp, "")
	if foreign.resp.StatusCode != 404 {
		t.Fatalf("partner B stream: %d", foreign.resp.StatusCode)
	}
	bad := e.openStream(wPartner, grp, "yesterday")
	if bad.resp.StatusCode != 422 {
		t.Fatalf("bad Last-Event-ID: %d", bad.resp.StatusCode)
	}
}

// A bridge to an internal address is refused with the field named.
func TestBridgeRefusesInternalURL(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	grp := e.orderVars()["GRP"]
	resp, b := e.call(wBuyer, "POST", "/api/v1/groups/"+grp+"/bridges", `{"kind":"wecom","name":"robot","url":"http://10.1.2.3/cgi-bin/webhook/send?key=k"}`)
	if resp.StatusCode != 422 || !strings.Contains(string(b), `"field":"url"`) || !strings.Contains(string(b), "internal address") {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
	resp, b = e.call(wBuyer, "POST", "/api/v1/groups/"+grp+"/bridges", `{"kind":"webhook","name":"erp","url":"http://127.0.0.1:9/hook"}`)
	br := decode[groups.Bridge](t, b)
	if resp.StatusCode != 201 || !strings.HasPrefix(br.Secret, "whsec_") || br.URL != "http://127.0.0.1:9/hook" {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
	// The secret is shown once.
	_, b = e.call(wBuyer, "GET", fmt.Sprintf("/api/v1/bridges/%d", br.ID), "")
	if strings.Contains(string(b), "whsec_") {
		t.Fatalf("secret shown again: %s", b)
	}
}
