package portal

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	"entgo.io/ent/schema/field"

	"github.com/tierlink/tierlink/ent/database/dbtest"
	"github.com/tierlink/tierlink/ent/migrate"
	"github.com/tierlink/tierlink/ent/user"
	"github.com/tierlink/tierlink/ent/viewer"
	"github.com/tierlink/tierlink/partners/accounts"
	"github.com/tierlink/tierlink/partners/demo"
	"github.com/tierlink/tierlink/partners/directory"
	"github.com/tierlink/tierlink/partners/documents"
	"github.com/tierlink/tierlink/partners/groups"
	"github.com/tierlink/tierlink/partners/orders"
	"github.com/tierlink/tierlink/partners/partnerstest"
	"github.com/tierlink/tierlink/partners/scorecards"
	"github.com/tierlink/tierlink/partners/shipments"
	"github.com/tierlink/tierlink/partners/status"
	"github.com/tierlink/tierlink/storage"
)

// The page checks walk the demo company (partners/demo), the same data
// `tierlink serve --demo` shows, so what the checks judge is what a
// newcomer sees.

// demoEnv is the portal served live over a database holding only the
// demo seed, with a session for each role the walk takes.
type demoEnv struct {
	f        *partnerstest.Fixture
	srv      *Server
	base     string
	sessions map[who]string
	users    map[who]accounts.User
	// invite is a pending invitation's token, for /invite/:token.
	invite string
}

// The demo's accounts the walk signs in as, one per role.
var demoAccounts = map[who]string{
	wAdmin:   "admin@demo.tierlink.local",
	wBuyer:   "wang.fang@demo.tierlink.local",
	wViewer:  "chen.jing@demo.tierlink.local",
	wPartner: "liu.yang@huaxing.example",
}

func newDemoEnv(t *testing.T) *demoEnv {
	t.Helper()
	db := dbtest.Open(t, dialect.SQLite)
	dir := directory.New(db.Client)
	acc := accounts.New(db.Client, dir)
	acc.Params = partnerstest.CheapParams
	local, err := storage.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	f := &partnerstest.Fixture{DB: db, Dir: dir, Acc: acc, Docs: documents.New(db.Client, local, time.UTC, nil),
		Orders: orders.New(db.Client), Shipments: shipments.New(db.Client)}
	f.Docs.Dialect = db.Dialect
	f.Groups = groups.New(db.Client, f.Orders, f.Shipments, partnerstest.Loopback, nil)
	f.Status = status.New(db.Client, f.Groups, f.Orders, f.Shipments, time.UTC)
	f.Scorecards = scorecards.New(db.Client, db.Dialect, time.UTC)
	ctx := context.Background()
	if _, err := demo.Seed(ctx, demo.Services{Client: db.Client, Directory: dir, Accounts: acc, Documents: f.Docs, Orders: f.Orders,
		Shipments: f.Shipments, Groups: f.Groups, Scorecards: f.Scorecards}); err != nil {
		t.Fatalf("demo seed: %v", err)
	}
	base, _ := url.Parse("http://127.0.0.1:8080")
	deps := testDeps(t, f)
	srv, err := New(Config{BaseURL: base, QuietAccessLog: true, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, deps)
	if err != nil {
		t.Fatal(err)
	}
	e := &demoEnv{f: f, srv: srv, sessions: map[who]string{}, users: map[who]accounts.User{}}
	sys := f.System()
	for w, email := range demoAccounts {
		tok, _, err := acc.Login(ctx, accounts.LoginInput{Email: email, Password: demo.Password}, "127.0.0.1", "pagecheck")
		if err != nil {
			t.Fatalf("demo login %s: %v", email, err)
		}
		e.sessions[w] = tok
		u, err := db.Client.User.Query().Where(user.Email(email)).Only(sys)
		if err != nil {
			t.Fatal(err)
		}
		e.users[w] = accounts.User{ID: u.ID, Email: u.Email, Role: u.Role}
	}
	// A pending invitation (its token is only ever shown once).
	c, err := db.Client.Contact.Query().All(sys)
	if err != nil {
		t.Fatal(err)
	}
	withLogin := map[int]bool{}
	us, err := db.Client.User.Query().All(sys)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range us {
		if u.ContactID != nil {
			withLogin[*u.ContactID] = true
		}
	}
	buyer := viewer.NewContext(ctx, viewer.Viewer{UserID: e.users[wBuyer].ID, Role: viewer.RoleBuyer, Label: demoAccounts[wBuyer]})
	for _, ct := range c {
		if withLogin[ct.ID] || ct.Email == "" {
			continue
		}
		if inv, err := acc.CreateInvitation(buyer, accounts.InvitationInput{ContactID: ct.ID}); err == nil {
			e.invite = inv.Token
			break
		}
	}
	if e.invite == "" {
		t.Fatal("no contact could be invited")
	}
	// The jobs page lists runs: run two jobs once, as the scheduler would.
	for _, name := range []string{"ack-reminders", "certificate-expiry"} {
		if _, err := deps.Jobs.RunNow(viewer.NewContext(ctx, viewer.Viewer{UserID: e.users[wAdmin].ID, Role: viewer.RoleAdmin, Label: demoAccounts[wAdmin]}), name, true); err != nil {
			t.Fatalf("run job %s: %v", name, err)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Shutdown(context.Background()) })
	e.base = "http://" + ln.Addr().String()
	return e
}

// setLanguage saves lang as every demo account's language, so pages
// render in it whatever the browser asks for.
func (e *demoEnv) setLanguage(t *testing.T, lang string) {
	t.Helper()
	if err := e.f.DB.Client.User.Update().SetLocale(lang).Exec(e.f.System()); err != nil {
		t.Fatal(err)
	}
}

// userStrings returns every text a person stored in the demo database:
// every string and JSON column of every table (JSON read down to its
// string values), less the columns the application itself fills with
// codes or sentences of its own (listed in appColumns), which the
// stray-language scan must still judge. Text that is user data may be
// in any language on any page.
func (e *demoEnv) userStrings(t *testing.T) []string {
	t.Helper()
	seen := map[string]bool{}
	db := e.f.DB.Reader
	for _, tbl := range migrate.Tables {
		var cols []string
		for _, c := range tbl.Columns {
			if c.Type != field.TypeString && c.Type != field.TypeJSON {
				continue
			}
			if appColumns[tbl.Name+"."+c.Name] || appColumns[tbl.Name+".*"] {
				continue
			}
			cols = append(cols, `"`+c.Name+`"`)
		}
		if len(cols) == 0 {
			continue
		}
		q := `SELECT ` + strings.Join(cols, ",") + ` FROM "` + tbl.Name + `"`
		if w, ok := userRows[tbl.Name]; ok {
			q += " WHERE " + w
		}
		rows, err := db.Query(q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		for rows.Next() {
			vals := make([]sql.NullString, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for i, v := range vals {
				collectStrings(v.String, !userJSON[tbl.Name+"."+strings.Trim(cols[i], `"`)], seen)
			}
		}
		rows.Close()
	}
	out := make([]string, 0, len(seen))
	for s := range seen {
		out = append(out, s)
	}
	// Longest first, so "华星精密机械 协同群" goes before "华星精密机械".
	sort.Slice(out, func(i, j int) bool { return len(out[i]) > len(out[j]) || len(out[i]) == len(out[j]) && out[i] < out[j] })
	return out
}

// userJSON are JSON columns that hold only what people typed (lists of
// tags and categories); in other JSON documents (snapshots, answers)
// values that look like codes are the application's.
var userJSON = map[string]bool{"partners.tags": true, "partners.categories": true, "documents.tags": true}

// collectStrings adds s, or the string values of the JSON document s,
// to seen. With codes set, JSON values that look like codes (lowercase
// words, joined by _ or .: "accept", "in_transit") are the
// application's, not a person's, and are left out.
func collectStrings(s string, codes bool, seen map[string]bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return
	}
	if s[0] == '{' || s[0] == '[' {
		var v any
		if json.Unmarshal([]byte(s), &v) == nil {
			var walk func(any)
			walk = func(v any) {
				switch v := v.(type) {
				case string:
					if !codes || !codeLike(v) {
						collectStrings(v, codes, seen)
					}
				case []any:
					for _, x := range v {
						walk(x)
					}
				case map[string]any:
					for _, x := range v {
						walk(x)
					}
				}
			}
			walk(v)
			return
		}
	}
	seen[s] = true
	// A name shown in part ("周敏 Zhou Min" as "Zhou Min") still counts.
	for _, part := range strings.Split(s, " / ") {
		if p := strings.TrimSpace(part); p != "" && p != s {
			seen[p] = true
		}
	}
}

func codeLike(s string) bool {
	return strings.Trim(s, "abcdefghijklmnopqrstuvwxyz0123456789_.-:") == ""
}

// appColumns are string columns the application fills itself: codes,
// hashes, and sentences it writes (revision reasons, job reports, system
// posts). Showing those raw is what the stray-language scan is for, so
// they do not count as user data.
var appColumns = map[string]bool{
	"audit_entries.action": true, "audit_entries.entity_type": true, "audit_entries.before": true, "audit_entries.after": true,
	"audit_entries.request_id": true,
	"domain_events.*":          true, "idempotency_keys.*": true, "sessions.*": true, "login_throttles.*": true, "notices.*": true,
	"job_runs.job": true, "job_runs.error": true, "job_runs.report": true, "job_states.job": true,
	"posts.subject_type": true, "posts.card_kind": true, "posts.card_outcome": true, "posts.event_kind": true, "posts.message": true,
	"order_revisions.reason": true,
	"users.password_hash":    true, "users.locale": true, "api_tokens.token_hash": true, "invitations.token_hash": true,
	"contacts.language": true, "groups.language": true, "groups.digest_spec": true,
	"contacts.sort_key": true, "contacts.search_text": true, "partners.sort_key": true, "partners.search_text": true,
	"document_versions.object_key": true, "document_versions.content_type": true, "bridges.secret": true, "bridges.lease_owner": true,
	"scorecard_snapshots.*": true, "deliveries.msg_id": true, "deliveries.batch_id": true, "deliveries.last_error": true,
}

// userRows limits a table to the rows people wrote: system posts and
// cards are the application's text.
var userRows = map[string]string{
	"posts": `"kind" = 'message'`,
}

// npmPackage returns where .ci/npm-tools.sh installed the pinned npm
// package of src (a directory under testdata), named by the hash of its
// package files; missing, it skips the test, or fails it under CI=true.
func npmPackage(t *testing.T, src string) string {
	t.Helper()
	h := sha256.New()
	for _, f := range []string{"package.json", "package-lock.json"} {
		b, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		h.Write(b)
	}
	cache := os.Getenv("TIERLINK_TOOLS_CACHE")
	if cache == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			t.Fatal(err)
		}
		cache = filepath.Join(home, ".cache", "tierlink-tools")
	}
	dir := filepath.Join(cache, "npm-"+hex.EncodeToString(h.Sum(nil))[:16])
	if _, err := os.Stat(filepath.Join(dir, ".installed")); err != nil {
		dbtest.Require(t, "the pinned npm package "+src+" in "+dir+" (run .ci/npm-tools.sh)", true)
	}
	return dir
}
