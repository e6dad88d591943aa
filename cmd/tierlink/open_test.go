package main

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// openFiles lists this process's open files under dir (Linux /proc).
func openFiles(t *testing.T, dir string) []string {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd:", err)
	}
	var open []string
	for _, fd := range fds {
		if p, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name())); err == nil && strings.HasPrefix(p, dir) {
			open = append(open, p)
		}
	}
	return open
}

// TestOpenFailureClosesDatabase proves a failure after the database is
// open (here: the object store cannot be created) closes it again.
func TestOpenFailureClosesDatabase(t *testing.T) {
	dir := t.TempDir()
	// A file where the object store's directory belongs.
	if err := os.WriteFile(filepath.Join(dir, "objects"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	r := runMain(t, map[string]string{"TIERLINK_DATA_DIR": dir}, "", "migrate")
	if r.code != 1 || !strings.Contains(r.stderr, "objects") {
		t.Fatalf("want exit 1 naming the object store, got %+v", r)
	}
	if _, err := os.Stat(filepath.Join(dir, "tierlink.db")); err != nil {
		t.Fatalf("the database was never opened, so the test proves nothing: %v", err)
	}
	if open := openFiles(t, dir); len(open) > 0 {
		t.Fatalf("still open after the failed start: %v", open)
	}
}

// TestServeReadsConfigOnce counts reads of one variable through a serve
// that gets as far as listening (and fails there, the port being taken).
func TestServeReadsConfigOnce(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	env := map[string]string{"TIERLINK_DATA_DIR": t.TempDir(), "TIERLINK_ADDR": ln.Addr().String(), "TIERLINK_LOG_LEVEL": "error"}
	var mu sync.Mutex
	reads := 0
	m := &Main{Stdin: strings.NewReader(""), Stdout: &strings.Builder{}, Stderr: &strings.Builder{}, Getenv: func(k string) string {
		if k == "TIERLINK_TIME_ZONE" {
			mu.Lock()
			reads++
			mu.Unlock()
		}
		return env[k]
	}}
	if code := m.Run(context.Background(), []string{"serve"}); code != 2 {
		t.Fatalf("serve on a taken port: exit %d, want 2", code)
	}
	if reads != 1 {
		t.Fatalf("TIERLINK_TIME_ZONE read %d times, want once", reads)
	}
}
