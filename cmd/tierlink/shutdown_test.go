package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// On SIGTERM (here: the context Run watches), the server stops taking
// connections but lets an in-flight upload finish and be stored before
// it stops jobs and closes the database.
func TestShutdownLetsInFlightRequestsFinish(t *testing.T) {
	dir := t.TempDir()
	envs := []string{"TIERLINK_DATA_DIR=" + dir, "TIERLINK_LOG_LEVEL=warn", "TIERLINK_ADDR=127.0.0.1:0"}
	tok := prepare(t, envs)
	getenv := func(k string) string {
		for _, kv := range envs {
			if strings.HasPrefix(kv, k+"=") {
				return strings.TrimPrefix(kv, k+"=")
			}
		}
		return ""
	}
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan string, 1)
	var out, errb bytes.Buffer
	m := &Main{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: getenv, Ready: func(a string) { addrc <- a }}
	done := make(chan int, 1)
	go func() { done <- m.Run(ctx, []string{"serve"}) }()
	base := "http://" + <-addrc

	const size = 8 << 20
	pr, pw := io.Pipe()
	go func() {
		pw.Write(zipBytes(1 << 20))
		for i := 1; i < 8; i++ {
			if i == 2 {
				cancel() // SIGTERM arrives mid-upload
			}
			time.Sleep(50 * time.Millisecond)
			pw.Write(make([]byte, 1<<20))
		}
		pw.Close()
	}()
	resp, err := upload(base, tok, pr, size)
	if err != nil {
		t.Fatalf("in-flight upload failed: %v\n%s", err, errb.String())
	}
	resp.Body.Close()
	if resp.StatusCode != 201 {
		t.Fatalf("in-flight upload: %d", resp.StatusCode)
	}
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errb.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("server did not stop")
	}
	// New connections are refused once it has stopped.
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Fatal("server still answering after shutdown")
	}
	if r := runEnv(envs)("", "documents", "verify"); !strings.Contains(r.stdout, "checked 1 version(s), 0 problem(s)") {
		t.Fatalf("verify after shutdown: %+v", r)
	}
}
