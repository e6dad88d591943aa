package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tierlink/tierlink/storage/miniotest"
)

// buildBinary compiles the tierlink command once per test run.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "tierlink")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

type proc struct {
	cmd  *exec.Cmd
	base string
	logs *bytes.Buffer
}

func startServe(t *testing.T, bin string, env []string) *proc { return startServeB(t, bin, env) }

func startServeB(t testing.TB, bin string, env []string) *proc {
	t.Helper()
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	p := &proc{base: fmt.Sprintf("http://127.0.0.1:%d", port), logs: &bytes.Buffer{}}
	p.cmd = exec.Command(bin, "serve", "--addr", fmt.Sprintf("127.0.0.1:%d", port))
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.cmd.Process.Kill(); p.cmd.Wait() })
	for i := 0; i < 300; i++ {
		if resp, err := http.Get(p.base + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return p
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("serve did not start:\n%s", p.logs)
	return nil
}

func upload(base, token string, body io.Reader, size int64) (*http.Response, error) {
	r, _ := http.NewRequest("POST", base+"/api/v1/documents?partner_id=1&kind=drawing&filename=big.zip", body)
	r.ContentLength = size
	r.Header.Set("Content-Type", "application/zip")
	r.Header.Set("Authorization", "Bearer "+token)
	return http.DefaultClient.Do(r)
}

// zipBytes is a minimal ZIP (an empty archive) followed by padding, so
// the sniffer accepts the upload as a ZIP.
func zipBytes(n int) []byte {
	b := make([]byte, n)
	copy(b, []byte("PK\x03\x04\x14\x00\x00\x00\x00\x00"))
	return b
}

// Killing the server (SIGKILL) in the middle of an upload leaves no row
// for it, no row pointing at a missing object, an intact database, and
// a server that restarts and still serves what it had.
func TestKillMidUpload(t *testing.T) {
	mio := miniotest.Start(t)
	bin := buildBinary(t)
	dir := t.TempDir()
	env := []string{"TIERLINK_DATA_DIR=" + dir, "TIERLINK_LOG_LEVEL=warn", "TIERLINK_S3_ENDPOINT=" + mio.Endpoint,
		"TIERLINK_S3_ACCESS_KEY=" + mio.AccessKey, "TIERLINK_S3_SECRET_KEY=" + mio.SecretKey, "TIERLINK_S3_BUCKET=crash", "TIERLINK_S3_SECURE=false"}
	tok := prepare(t, env)
	run := runEnv(env)

	p := startServe(t, bin, env)
	first := zipBytes(3 << 20)
	resp, err := upload(p.base, tok, bytes.NewReader(first), int64(len(first)))
	if err != nil || resp.StatusCode != 201 {
		t.Fatalf("first upload: %v %v\n%s", resp, err, p.logs)
	}
	resp.Body.Close()

	// A 256 MiB upload that is killed after about 40 MiB.
	pr, pw := io.Pipe()
	go func() {
		pw.Write(zipBytes(1 << 20))
		chunk := make([]byte, 1<<20)
		for i := 0; i < 255; i++ {
			if _, err := pw.Write(chunk); err != nil {
				return
			}
			if i == 40 {
				p.cmd.Process.Signal(syscall.SIGKILL)
			}
		}
		pw.Close()
	}()
	if resp, err := upload(p.base, tok, pr, 256<<20); err == nil {
		resp.Body.Close()
		if resp.StatusCode == 201 {
			t.Fatal("the killed upload was acknowledged")
		}
	}
	p.cmd.Wait()
	pr.Close()

	// The database side.
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "tierlink.db"))
	if err != nil {
		t.Fatal(err)
	}
	var check string
	var versions int
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check = %q, %v", check, err)
	}
	if err := db.QueryRow("SELECT count(*) FROM document_versions").Scan(&versions); err != nil || versions != 1 {
		t.Fatalf("versions after crash = %d, %v", versions, err)
	}
	db.Close()
	// The storage side: every row's object is there and intact, and
	// nothing unreferenced is left once the sweep has run.
	if r := run("", "documents", "verify"); r.code != 0 || !strings.Contains(r.stdout, "checked 1 version(s), 0 problem(s)") {
		t.Fatalf("verify: %+v", r)
	}
	objects := 0
	for range mio.StoreFor(t, "crash").List(context.Background(), "docs/") {
		objects++
	}
	if objects != 1 {
		t.Fatalf("%d objects in the bucket after the crash, want 1", objects)
	}
	// A restarted server still serves the first document.
	p2 := startServe(t, bin, env)
	req, _ := http.NewRequest("GET", p2.base+"/api/v1/documents/1/download?redirect=false", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err = http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("download after restart: %v %v", resp, err)
	}
	resp.Body.Close()
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func runEnv(env []string) func(stdin string, args ...string) run {
	getenv := func(k string) string {
		for _, kv := range env {
			if strings.HasPrefix(kv, k+"=") {
				return strings.TrimPrefix(kv, k+"=")
			}
		}
		return ""
	}
	return func(stdin string, args ...string) run {
		var out, errb bytes.Buffer
		m := &Main{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb, Getenv: getenv}
		code := m.Run(context.Background(), args)
		return run{code, out.String(), errb.String()}
	}
}

// prepare makes a buyer with an API token and one supplier (id 1) in the
// data dir of env, and returns the token.
func prepare(t testing.TB, env []string) string {
	t.Helper()
	run := runEnv(env)
	if r := run("a long enough password\n", "user", "create", "--email", "buyer@x.test", "--role", "buyer", "--password-stdin"); r.code != 0 {
		t.Fatalf("user: %+v", r)
	}
	tok := strings.TrimSpace(run("", "token", "create", "--email", "buyer@x.test", "--name", "test").stdout)
	var dir string
	for _, kv := range env {
		if strings.HasPrefix(kv, "TIERLINK_DATA_DIR=") {
			dir = strings.TrimPrefix(kv, "TIERLINK_DATA_DIR=")
		}
	}
	csv := filepath.Join(dir, "p.csv")
	os.WriteFile(csv, []byte("code,name,kind\nS-1,Supplier,supplier\n"), 0o644)
	if r := run("", "import", "partners", "--quiet", csv); r.code != 0 {
		t.Fatalf("import: %+v", r)
	}
	return tok
}

var execCommand = exec.Command
