package storage_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tierlink/tierlink/storage"
	"github.com/tierlink/tierlink/storage/miniotest"
)

func backends(t *testing.T) map[string]func(t *testing.T) storage.Store {
	return map[string]func(t *testing.T) storage.Store{
		"local": func(t *testing.T) storage.Store {
			s, err := storage.NewLocal(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
		"minio": func(t *testing.T) storage.Store {
			return miniotest.Start(t).Store(t)
		},
	}
}

// TestContract is the suite every backend passes.
func TestContract(t *testing.T) {
	for name, open := range backends(t) {
		t.Run(name, func(t *testing.T) {
			s := open(t)
			ctx := context.Background()
			data := make([]byte, 3<<20+17)
			rand.Read(data)
			t.Run("PutGetStat", func(t *testing.T) {
				if err := s.Put(ctx, "docs/1/a", bytes.NewReader(data), int64(len(data)), "application/pdf"); err != nil {
					t.Fatal(err)
				}
				rc, o, err := s.Get(ctx, "docs/1/a")
				if err != nil {
					t.Fatal(err)
				}
				got, _ := io.ReadAll(rc)
				rc.Close()
				if !bytes.Equal(got, data) || o.Size != int64(len(data)) {
					t.Fatalf("got %d bytes, size %d", len(got), o.Size)
				}
				st, err := s.Stat(ctx, "docs/1/a")
				if err != nil || st.Size != int64(len(data)) || st.ModTime.IsZero() {
					t.Fatalf("stat = %+v, %v", st, err)
				}
			})
			t.Run("ErrShortBodyLeavesNoObject", func(t *testing.T) {
				err := s.Put(ctx, "docs/1/short", bytes.NewReader(data[:100]), 200, "")
				if err == nil {
					t.Fatal("short body accepted")
				}
				if _, err := s.Stat(ctx, "docs/1/short"); !errors.Is(err, storage.ErrNotFound) {
					t.Fatalf("stat after failed put: %v", err)
				}
			})
			t.Run("ErrLongBodyLeavesNoObject", func(t *testing.T) {
				err := s.Put(ctx, "docs/1/long", bytes.NewReader(data[:300]), 200, "")
				if err == nil {
					t.Fatal("long body accepted")
				}
				if _, err := s.Stat(ctx, "docs/1/long"); !errors.Is(err, storage.ErrNotFound) {
					t.Fatalf("stat after failed put: %v", err)
				}
			})
			t.Run("NotFound", func(t *testing.T) {
				if _, _, err := s.Get(ctx, "docs/none"); !errors.Is(err, storage.ErrNotFound) {
					t.Fatalf("get: %v", err)
				}
				if _, err := s.Stat(ctx, "docs/none"); !errors.Is(err, storage.ErrNotFound) {
					t.Fatalf("stat: %v", err)
				}
				if err := s.Delete(ctx, "docs/none"); err != nil {
					t.Fatalf("delete missing: %v", err)
				}
			})
			t.Run("ListAndDelete", func(t *testing.T) {
				for _, k := range []string{"docs/2/x", "docs/2/y", "other/z"} {
					if err := s.Put(ctx, k, strings.NewReader("hi"), 2, "text/plain"); err != nil {
						t.Fatal(err)
					}
				}
				var keys []string
				for o, err := range s.List(ctx, "docs/2/") {
					if err != nil {
						t.Fatal(err)
					}
					keys = append(keys, o.Key)
				}
				if strings.Join(keys, ",") != "docs/2/x,docs/2/y" {
					t.Fatalf("list = %v", keys)
				}
				if err := s.Delete(ctx, "docs/2/x"); err != nil {
					t.Fatal(err)
				}
				if _, err := s.Stat(ctx, "docs/2/x"); !errors.Is(err, storage.ErrNotFound) {
					t.Fatal("deleted object still there")
				}
			})
			t.Run("Presign", func(t *testing.T) {
				u, err := s.PresignGet(ctx, "docs/1/a", 5*time.Minute, "合格证 2026.pdf", "application/pdf")
				if err != nil {
					t.Fatal(err)
				}
				if u == "" {
					return // streamed by the portal instead
				}
				resp, err := http.Get(u)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				got, _ := io.ReadAll(resp.Body)
				cd := resp.Header.Get("Content-Disposition")
				if resp.StatusCode != 200 || !bytes.Equal(got, data) || !strings.Contains(cd, "attachment") || !strings.Contains(cd, "filename*=UTF-8''%E5%90%88") {
					t.Fatalf("presigned GET: %d %d bytes, disposition %q", resp.StatusCode, len(got), cd)
				}
				// An expired link no longer works.
				u, _ = s.PresignGet(ctx, "docs/1/a", time.Second, "a.pdf", "")
				time.Sleep(2 * time.Second)
				resp2, err := http.Get(u)
				if err != nil {
					t.Fatal(err)
				}
				resp2.Body.Close()
				if resp2.StatusCode != 403 {
					t.Fatalf("expired link: %d", resp2.StatusCode)
				}
			})
		})
	}
}

func TestSanitizeFilename(t *testing.T) {
	for in, want := range map[string]string{
		"../../etc/passwd":       "passwd",
		`C:\Users\x\合格证.pdf`:     "合格证.pdf",
		"a\x00b\nc.pdf":          "a_b_c.pdf",
		".hidden":                "hidden",
		"":                       "file",
		"..":                     "file",
		"evil\u202egnp.pdf":      "evil_gnp.pdf",
		`re"port";.pdf`:          "re_port_;.pdf",
		strings.Repeat("é", 300): strings.Repeat("é", 100),
	} {
		if got := storage.SanitizeFilename(in); got != want {
			t.Errorf("SanitizeFilename(%q) = %q, want %q", in, got, want)
		}
	}
	cd := storage.ContentDisposition("报告\r\nSet-Cookie: x.pdf")
	if strings.ContainsAny(cd, "\r\n") || !strings.HasPrefix(cd, "attachment;") {
		t.Fatalf("disposition %q", cd)
	}
}

func FuzzSanitizeFilename(f *testing.F) {
	for _, s := range []string{"a.pdf", "../x", "\x00", "合格证.pdf", "\u202e", strings.Repeat("x", 500)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		got := storage.SanitizeFilename(name)
		if got == "" || strings.ContainsAny(got, "/\\\x00\r\n\"") || strings.HasPrefix(got, ".") || len(got) > 200 {
			t.Fatalf("SanitizeFilename(%q) = %q", name, got)
		}
		if cd := storage.ContentDisposition(name); strings.ContainsAny(cd, "\r\n") {
			t.Fatalf("disposition %q", cd)
		}
	})
}
