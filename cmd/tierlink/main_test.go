package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

type run struct {
	code           int
	stdout, stderr string
}

func runMain(t *testing.T, env map[string]string, stdin string, args ...string) run {
	t.Helper()
	var out, errb bytes.Buffer
	m := &Main{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return env[k] }}
	code := m.Run(context.Background(), args)
	return run{code, out.String(), errb.String()}
}

func TestBadConfigIsOneLineExit2(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		env  map[string]string
		args []string
		want string
	}{
		{map[string]string{"TIERLINK_ADDR": "nonsense"}, nil, "TIERLINK_ADDR: must be host:port"},
		{map[string]string{"TIERLINK_ADDR": "127.0.0.1:http-ish"}, nil, "TIERLINK_ADDR: bad port"},
		{map[string]string{"TIERLINK_DATABASE_URL": "mysql://x"}, nil, "TIERLINK_DATABASE_URL: unsupported scheme"},
		{map[string]string{"TIERLINK_BASE_URL": "http://portal.example.com"}, nil, "TIERLINK_BASE_URL: plain http is allowed only for localhost"},
		{map[string]string{"TIERLINK_BASE_URL": "ftp://x"}, nil, "TIERLINK_BASE_URL: must be an absolute http(s) URL"},
		{map[string]string{"TIERLINK_TIME_ZONE": "Mars/Olympus"}, nil, "TIERLINK_TIME_ZONE:"},
		{map[string]string{"TIERLINK_TRUSTED_PROXIES": "10.0.0.0/8, bogus"}, nil, "TIERLINK_TRUSTED_PROXIES:"},
		{map[string]string{"TIERLINK_LOG_LEVEL": "loud"}, nil, "TIERLINK_LOG_LEVEL:"},
		{map[string]string{"TIERLINK_SHUTDOWN_TIMEOUT": "-1s"}, nil, "TIERLINK_SHUTDOWN_TIMEOUT:"},
		{nil, []string{"--addr", "1.2.3.4"}, "TIERLINK_ADDR:"},
		{map[string]string{"TIERLINK_JOB_SCHEDULES": "no-such-job=@hourly"}, nil, `TIERLINK_JOB_SCHEDULES: no job is named "no-such-job"`},
		{map[string]string{"TIERLINK_JOB_SCHEDULES": "group-digests=61 * * * *"}, nil, "TIERLINK_JOB_SCHEDULES: job group-digests:"},
		{map[string]string{"TIERLINK_DIGEST_SCHEDULE": "TZ="}, nil, "TIERLINK_DIGEST_SCHEDULE:"},
		{map[string]string{"TIERLINK_SCORE_WEIGHTS": "speed=3"}, nil, `TIERLINK_SCORE_WEIGHTS: no metric is named "speed"`},
		{map[string]string{"TIERLINK_STALE_SHIPMENT_AFTER": "5m"}, nil, "TIERLINK_STALE_SHIPMENT_AFTER: must be a duration of at least 1h"},
	} {
		env := map[string]string{"TIERLINK_DATA_DIR": dir}
		for k, v := range tc.env {
			env[k] = v
		}
		r := runMain(t, env, "", append([]string{"serve"}, tc.args...)...)
		lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
		if r.code != 2 || len(lines) != 1 || !strings.Contains(lines[0], tc.want) {
			t.Errorf("%v %v: exit %d, stderr %q; want one line with %q", tc.env, tc.args, r.code, r.stderr, tc.want)
		}
	}
	if r := runMain(t, nil, "", "frobnicate"); r.code != 2 || !strings.Contains(r.stderr, `unknown command "frobnicate"`) {
		t.Errorf("unknown command: %+v", r)
	}
}

func TestServeDemo(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"TIERLINK_DATA_DIR": dir, "TIERLINK_ADDR": "127.0.0.1:0", "TIERLINK_LOG_LEVEL": "warn"}
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan string, 1)
	var out, errb bytes.Buffer
	m := &Main{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return env[k] },
		Ready: func(a string) { addrc <- a }}
	done := make(chan int, 1)
	go func() { done <- m.Run(ctx, []string{"serve", "--demo"}) }()
	var addr string
	select {
	case addr = <-addrc:
	case code := <-done:
		t.Fatalf("serve exited %d: %s", code, errb.String())
	case <-time.After(60 * time.Second):
		t.Fatal("serve did not start")
	}
	base := "http://" + addr
	resp, err := http.Get(base + "/readyz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("readyz: %v %v", resp, err)
	}
	// A demo login works and finds the seeded suppliers across tiers.
	body := `{"email":"wang.fang@demo.tierlink.local","password":"tierlink-demo"}`
	resp, err = http.Post(base+"/api/v1/auth/login", "application/json", strings.NewReader(body))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("login: %v %v", resp, err)
	}
	cookies := resp.Cookies()
	req, _ := http.NewRequest("GET", base+"/api/v1/partners?kind=supplier&limit=200", nil)
	for _, c := range cookies {
		req.AddCookie(c)
	}
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var page struct {
		Items []struct {
			Tier *int `json:"tier"`
		} `json:"items"`
	}
	json.NewDecoder(resp.Body).Decode(&page)
	tiers := map[int]int{}
	for _, p := range page.Items {
		tiers[*p.Tier]++
	}
	if len(page.Items) < 18 || tiers[1] == 0 || tiers[2] == 0 || tiers[3] == 0 {
		t.Fatalf("suppliers = %d, tiers %v", len(page.Items), tiers)
	}
	req, _ = http.NewRequest("GET", base+"/api/v1/documents?kind=certificate", nil)
	for _, c := range cookies {
		req.AddCookie(c)
	}
	if r2, err := http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	} else {
		var docs struct {
			Items []struct {
				Certificate struct{ Status string } `json:"certificate"`
			} `json:"items"`
		}
		json.NewDecoder(r2.Body).Decode(&docs)
		r2.Body.Close()
		seen := map[string]bool{}
		for _, d := range docs.Items {
			seen[d.Certificate.Status] = true
		}
		if !seen["valid"] || !seen["expiring"] || !seen["expired"] {
			t.Fatalf("demo certificates: %+v", docs.Items)
		}
	}
	req, _ = http.NewRequest("GET", base+"/api/v1/status-board?state=at_risk", nil)
	for _, c := range cookies {
		req.AddCookie(c)
	}
	if r3, err := http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	} else {
		var board struct {
			Lines []struct{ OrderNumber string } `json:"items"`
		}
		json.NewDecoder(r3.Body).Decode(&board)
		r3.Body.Close()
		if len(board.Lines) == 0 {
			t.Fatal("demo board shows nothing at risk")
		}
	}
	if !strings.Contains(out.String(), "admin@demo.tierlink.local") || !strings.Contains(out.String(), "partner (") {
		t.Fatalf("demo logins not printed:\n%s", out.String())
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("serve exit %d: %s", code, errb.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
	// Seeding happens once: a second --demo start keeps the data.
	ctx2, cancel2 := context.WithCancel(context.Background())
	out.Reset()
	go func() { done <- m.Run(ctx2, []string{"serve", "--demo"}) }()
	<-addrc
	cancel2()
	<-done
	if !strings.Contains(out.String(), "demo seed skipped") {
		t.Fatalf("second start:\n%s", out.String())
	}
}

func TestScriptingCommands(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"TIERLINK_DATA_DIR": dir, "TIERLINK_LOG_LEVEL": "warn"}
	if r := runMain(t, env, "", "migrate"); r.code != 0 {
		t.Fatalf("migrate: %+v", r)
	}
	if r := runMain(t, env, "a very long password\n", "user", "create", "--email", "Ops@Example.com", "--role", "admin", "--password-stdin"); r.code != 0 || !strings.Contains(r.stdout, "created admin user ops@example.com") {
		t.Fatalf("user create: %+v", r)
	}
	if r := runMain(t, env, "x\n", "user", "create", "--email", "ops@example.com", "--role", "admin", "--password-stdin"); r.code != 1 || !strings.Contains(r.stderr, "password") {
		t.Fatalf("short password: %+v", r)
	}
	if r := runMain(t, env, "a very long password\n", "user", "create", "--email", "ops@example.com", "--role", "admin", "--password-stdin"); r.code != 1 || !strings.Contains(r.stderr, "email is already used") {
		t.Fatalf("duplicate: %+v", r)
	}
	// Without a password the user could never log in.
	if r := runMain(t, env, "", "user", "create", "--email", "nopw@example.com", "--role", "admin"); r.code != 1 || !strings.Contains(r.stderr, "password is required") {
		t.Fatalf("no password: %+v", r)
	}
	if r := runMain(t, env, "", "user", "create", "--email", "x@example.com", "--role", "god"); r.code != 1 || !strings.Contains(r.stderr, "role must be one of") {
		t.Fatalf("bad role: %+v", r)
	}
	r := runMain(t, env, "", "token", "create", "--email", "ops@example.com", "--name", "erp")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "tl_") || strings.Count(r.stdout, "\n") != 1 {
		t.Fatalf("token create: %+v", r)
	}
	if r := runMain(t, env, "", "token", "create", "--email", "nobody@example.com", "--name", "erp"); r.code != 1 || !strings.Contains(r.stderr, "no user") {
		t.Fatalf("token for nobody: %+v", r)
	}

	partners := filepath.Join(dir, "p.csv")
	os.WriteFile(partners, []byte("\ufeffcode,name,kind,tier\nS-1,华星精密,supplier,1\nD-1,Dealer One,customer,\n"), 0o644)
	if r := runMain(t, env, "", "import", "partners", partners); r.code != 0 || !strings.Contains(r.stdout, "2 created") {
		t.Fatalf("import: %+v", r)
	}
	contacts := filepath.Join(dir, "c.csv")
	os.WriteFile(contacts, []byte("partner_code,name,email,owner_email\nS-1,刘洋,liu@s1.test,ops@example.com\n"), 0o644)
	if r := runMain(t, env, "", "import", "contacts", contacts); r.code != 0 {
		t.Fatalf("import contacts: %+v", r)
	}
	ordersCSV := filepath.Join(dir, "o.csv")
	os.WriteFile(ordersCSV, []byte("partner_code,order_number,currency,item_code,quantity,unit_price,required_date\nS-1,PO-9,CNY,X,5,2,2026-12-01\n"), 0o644)
	if r := runMain(t, env, "", "import", "orders", ordersCSV); r.code != 2 || !strings.Contains(r.stderr, "--buyer") {
		t.Fatalf("orders without buyer: %+v", r)
	}
	if r := runMain(t, env, "", "import", "orders", "--buyer", "ops@example.com", "--publish", ordersCSV); r.code != 0 || !strings.Contains(r.stdout, "1 orders with 1 lines") {
		t.Fatalf("import orders: %+v", r)
	}
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("code,name,kind\nS-2,,supplier\n"), 0o644)
	if r := runMain(t, env, "", "import", "partners", bad); r.code != 1 || !strings.Contains(r.stderr, "line 2: name is required") {
		t.Fatalf("bad import: %+v", r)
	}
	out := filepath.Join(dir, "out.csv")
	if r := runMain(t, env, "", "export", "partners", "--out", out); r.code != 0 {
		t.Fatalf("export: %+v", r)
	}
	b, _ := os.ReadFile(out)
	if !strings.Contains(string(b), "S-1,华星精密,supplier,1,active") || strings.Contains(string(b), "S-2") {
		t.Fatalf("export:\n%s", b)
	}
	r = runMain(t, env, "", "export", "contacts")
	if r.code != 0 || !strings.Contains(r.stdout, "S-1,刘洋,,liu@s1.test,,zh-CN,ops@example.com") {
		t.Fatalf("export contacts: %+v", r)
	}
	// Exports in GB18030 for older tools import back changing nothing,
	// orders included; a bad encoding name is one line, exit 2.
	for _, kind := range []string{"partners", "contacts", "orders"} {
		gb := filepath.Join(dir, kind+"-gb.csv")
		if r := runMain(t, env, "", "export", kind, "--encoding", "gb18030", "--out", gb); r.code != 0 {
			t.Fatalf("export %s gb18030: %+v", kind, r)
		}
		raw, _ := os.ReadFile(gb)
		if bytes.HasPrefix(raw, []byte("\ufeff")) || kind != "orders" && utf8.Valid(raw) { // 华星 and 刘洋 are not UTF-8 in GB18030
			t.Fatalf("%s export is not GB18030:\n%q", kind, raw)
		}
		args := []string{"import", kind, "--encoding", "gb18030", gb}
		if kind == "orders" {
			args = []string{"import", kind, "--buyer", "ops@example.com", "--encoding", "gb18030", gb}
		}
		if r := runMain(t, env, "", args...); r.code != 0 || !strings.Contains(r.stdout, "unchanged") || !strings.Contains(strings.ToLower(r.stdout), "gb18030") {
			t.Fatalf("re-import %s: %+v", kind, r)
		}
	}
	if r := runMain(t, env, "", "export", "partners", "--encoding", "latin1"); r.code != 2 || strings.Count(r.stderr, "\n") != 1 {
		t.Fatalf("bad encoding: %+v", r)
	}
	if r := runMain(t, env, "", "import", "widgets", "x.csv"); r.code != 2 {
		t.Fatalf("import widgets: %+v", r)
	}
	if r := runMain(t, env, "", "import", "partners", filepath.Join(dir, "missing.csv")); r.code != 2 || strings.Count(r.stderr, "\n") != 1 {
		t.Fatalf("missing file: %+v", r)
	}
	_ = io.Discard
}

func TestDocumentsCommands(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"TIERLINK_DATA_DIR": dir, "TIERLINK_LOG_LEVEL": "warn"}
	if r := runMain(t, env, "", "documents", "verify"); r.code != 0 || !strings.Contains(r.stdout, "checked 0 version(s), 0 problem(s)") {
		t.Fatalf("verify: %+v", r)
	}
	if r := runMain(t, env, "", "documents", "sweep"); r.code != 0 || !strings.Contains(r.stdout, "removed 0") {
		t.Fatalf("sweep: %+v", r)
	}
	if r := runMain(t, env, "", "documents", "sweep", "--grace", "1s"); r.code != 2 {
		t.Fatalf("tiny grace: %+v", r)
	}
	if r := runMain(t, env, "", "documents", "shred"); r.code != 2 || !strings.Contains(r.stderr, "sweep|verify") {
		t.Fatalf("unknown verb: %+v", r)
	}
	for k, want := range map[string]string{
		"TIERLINK_S3_ENDPOINT":       "TIERLINK_S3_ACCESS_KEY",
		"TIERLINK_UPLOAD_LIMIT":      "TIERLINK_UPLOAD_LIMIT",
		"TIERLINK_DOWNLOAD_LINK_TTL": "TIERLINK_DOWNLOAD_LINK_TTL",
	} {
		e := map[string]string{"TIERLINK_DATA_DIR": dir, k: "huge"}
		if k == "TIERLINK_S3_ENDPOINT" {
			e[k] = "127.0.0.1:9000"
		}
		if r := runMain(t, e, "", "serve"); r.code != 2 || !strings.Contains(r.stderr, want) || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("%s: %+v", k, r)
		}
	}
	if r := runMain(t, map[string]string{"TIERLINK_DATA_DIR": dir, "TIERLINK_S3_ENDPOINT": "http://x:9000"}, "", "serve"); r.code != 2 || !strings.Contains(r.stderr, "without a scheme") {
		t.Errorf("scheme: %+v", r)
	}
	for in, want := range map[string]int64{"512MiB": 512 << 20, "1GiB": 1 << 30, "10MB": 10e6, "4096": 4096} {
		if got, err := parseBytes(in); err != nil || got != want {
			t.Errorf("parseBytes(%q) = %d, %v", in, got, err)
		}
	}
}
