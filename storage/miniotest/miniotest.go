// Package miniotest runs a real MinIO server for tests: the binary on
// PATH, or one built once from the Go module proxy at a pinned version
// into a cache directory. There is no fake S3.
package miniotest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tierlink/tierlink/ent/database/dbtest"
	"github.com/tierlink/tierlink/storage"
)

// Version is the MinIO server version the harness builds when none is on
// PATH (a Go pseudo-version of github.com/minio/minio).
const Version = "v0.0.0-20260212201848-7aac2a2c5b7c"

// Server is a running MinIO.
type Server struct {
	Endpoint  string // host:port
	AccessKey string
	SecretKey string
	Dir       string
	cmd       *exec.Cmd
}

// Binary returns a MinIO server binary, building it if needed; "" with a
// reason when none can be had.
func Binary() (string, error) {
	if p := os.Getenv("TIERLINK_MINIO_BIN"); p != "" {
		return p, nil
	}
	if p, err := exec.LookPath("minio"); err == nil {
		return p, nil
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(cache, "tierlink-tools", "minio-"+Version)
	bin := filepath.Join(dir, "minio")
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	// Test packages run in parallel processes; one builds, the rest wait.
	lock, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return "", err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return "", err
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN) //nolint:errcheck
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	goBin := filepath.Join(os.Getenv("GOROOT"), "bin", "go")
	if _, err := os.Stat(goBin); err != nil {
		goBin = "go"
	}
	cmd := exec.Command(goBin, "install", "github.com/minio/minio@"+Version)
	cmd.Env = append(os.Environ(), "GOBIN="+dir, "GOFLAGS=", "CGO_ENABLED=0")
	cmd.Dir = os.TempDir()
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go install minio@%s: %v\n%s", Version, err, tail(out))
	}
	return bin, nil
}

func tail(b []byte) string {
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Start runs a MinIO server over dirs (one temp dir when none given; four
// or more give erasure coding) until the test ends. A missing MinIO skips
// the test locally and fails it under CI=true.
func Start(tb testing.TB, dirs ...string) *Server {
	tb.Helper()
	bin, err := Binary()
	if err != nil {
		dbtest.Require(tb, "MinIO ("+err.Error()+")", true)
	}
	if len(dirs) == 0 {
		dirs = []string{tb.TempDir()}
	}
	port, err := freePort()
	if err != nil {
		tb.Fatal(err)
	}
	console, _ := freePort()
	secret := make([]byte, 12)
	_, _ = rand.Read(secret)
	s := &Server{Endpoint: fmt.Sprintf("127.0.0.1:%d", port), AccessKey: "tierlinktest", SecretKey: hex.EncodeToString(secret), Dir: dirs[0]}
	args := append([]string{"server", "--quiet", "--address", s.Endpoint, "--console-address", fmt.Sprintf("127.0.0.1:%d", console)}, dirs...)
	s.cmd = exec.Command(bin, args...)
	s.cmd.Env = append(os.Environ(), "MINIO_ROOT_USER="+s.AccessKey, "MINIO_ROOT_PASSWORD="+s.SecretKey,
		"MINIO_BROWSER=off", "MINIO_UPDATE=off", "MINIO_CI_CD=1")
	var logs strings.Builder
	s.cmd.Stdout, s.cmd.Stderr = &logs, &logs
	if err := s.cmd.Start(); err != nil {
		tb.Fatalf("start minio: %v", err)
	}
	stopAtCleanup(tb, s.cmd)
	waitHealthy(tb, "http://"+s.Endpoint+"/minio/health/ready", 60*time.Second, &logs)
	return s
}

// stopAtCleanup ends a server when the test does: SIGTERM, then SIGKILL
// after ten seconds.
func stopAtCleanup(tb testing.TB, cmd *exec.Cmd) {
	tb.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM) //nolint:errcheck
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }() //nolint:errcheck
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill() //nolint:errcheck
		}
	})
}

// waitHealthy polls a health URL until it answers 200.
func waitHealthy(tb testing.TB, url string, wait time.Duration, logs *strings.Builder) {
	tb.Helper()
	deadline := time.Now().Add(wait)
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		if time.Now().After(deadline) {
			tb.Fatalf("minio did not become ready: %v\n%s", err, logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Store returns a storage.MinIO on a fresh bucket of the server.
func (s *Server) Store(tb testing.TB) *storage.MinIO {
	tb.Helper()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	st, err := storage.NewMinIO(context.Background(), s.Config("test-"+hex.EncodeToString(b)))
	if err != nil {
		tb.Fatal(err)
	}
	return st
}

// StoreFor returns a storage.MinIO on the named bucket.
func (s *Server) StoreFor(tb testing.TB, bucket string) *storage.MinIO {
	tb.Helper()
	st, err := storage.NewMinIO(context.Background(), s.Config(bucket))
	if err != nil {
		tb.Fatal(err)
	}
	return st
}

// Config returns a backend configuration for bucket on this server.
func (s *Server) Config(bucket string) storage.MinIOConfig {
	return storage.MinIOConfig{Endpoint: s.Endpoint, AccessKey: s.AccessKey, SecretKey: s.SecretKey, Bucket: bucket, Region: "us-east-1"}
}

// StartDistributed runs MinIO in distributed, erasure-coded mode: nodes
// server processes on loopback, one drive each, all listing every
// drive. It returns the nodes; any of them serves the whole store.
func StartDistributed(tb testing.TB, nodes int) []*Server {
	tb.Helper()
	bin, err := Binary()
	if err != nil {
		dbtest.Require(tb, "MinIO ("+err.Error()+")", true)
	}
	secret := make([]byte, 12)
	_, _ = rand.Read(secret)
	root := tb.TempDir()
	servers := make([]*Server, nodes)
	endpoints := make([]string, nodes)
	for i := range nodes {
		port, err := freePort()
		if err != nil {
			tb.Fatal(err)
		}
		dir := filepath.Join(root, fmt.Sprintf("drive%d", i+1))
		servers[i] = &Server{Endpoint: fmt.Sprintf("127.0.0.1:%d", port), AccessKey: "tierlinktest", SecretKey: hex.EncodeToString(secret), Dir: dir}
		endpoints[i] = "http://" + servers[i].Endpoint + dir
	}
	logs := make([]*strings.Builder, nodes)
	for i, s := range servers {
		console, _ := freePort()
		args := append([]string{"server", "--quiet", "--address", s.Endpoint, "--console-address", fmt.Sprintf("127.0.0.1:%d", console)}, endpoints...)
		s.cmd = exec.Command(bin, args...)
		// In a container MinIO waits for loopback names to resolve to a
		// "real" address; _MINIO_SERVER_LOCAL tells each node which
		// endpoint is its own.
		s.cmd.Env = append(os.Environ(), "MINIO_ROOT_USER="+s.AccessKey, "MINIO_ROOT_PASSWORD="+s.SecretKey,
			"MINIO_BROWSER=off", "MINIO_UPDATE=off", "MINIO_CI_CD=1", "_MINIO_SERVER_LOCAL="+s.Endpoint)
		logs[i] = &strings.Builder{}
		s.cmd.Stdout, s.cmd.Stderr = logs[i], logs[i]
		if err := s.cmd.Start(); err != nil {
			tb.Fatalf("start minio node %d: %v", i+1, err)
		}
		stopAtCleanup(tb, s.cmd)
	}
	waitHealthy(tb, "http://"+servers[0].Endpoint+"/minio/health/cluster", 90*time.Second, logs[0])
	return servers
}
