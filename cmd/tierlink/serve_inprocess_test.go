package main

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"
)

// inProcess is `tierlink serve` run by Main in this test's process on a
// loopback port, for tests that need the whole program but not a kill.
type inProcess struct {
	// Base is the server's address, http://127.0.0.1:port.
	Base   string
	stderr lockedBuffer
	cancel context.CancelFunc
	done   chan int
}

// lockedBuffer is a bytes.Buffer the server writes its log into while a
// test may read it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// serveInProcess starts `tierlink serve` with env as its whole
// environment and waits until it listens; the server is stopped when the
// test ends if the test has not stopped it.
func serveInProcess(tb testing.TB, env map[string]string) *inProcess {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &inProcess{cancel: cancel, done: make(chan int, 1)}
	addrc := make(chan string, 1)
	m := &Main{Stdin: strings.NewReader(""), Stdout: &bytes.Buffer{}, Stderr: &s.stderr,
		Getenv: func(k string) string { return env[k] }, Ready: func(a string) { addrc <- a }}
	go func() { s.done <- m.Run(ctx, []string{"serve"}) }()
	tb.Cleanup(func() { cancel() })
	select {
	case a := <-addrc:
		s.Base = "http://" + a
	case code := <-s.done:
		tb.Fatalf("serve exited %d: %s", code, s.stderr.String())
	case <-time.After(60 * time.Second):
		tb.Fatal("serve did not start")
	}
	return s
}

// Log is what the server has written to its standard error so far.
func (s *inProcess) Log() string { return s.stderr.String() }

// Stop shuts the server down and fails the test unless it exits 0.
func (s *inProcess) Stop(tb testing.TB) {
	tb.Helper()
	s.cancel()
	if code := <-s.done; code != 0 {
		tb.Fatalf("serve exit %d: %s", code, s.stderr.String())
	}
}
