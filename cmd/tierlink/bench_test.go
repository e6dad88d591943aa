package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/tierlink/tierlink/storage/miniotest"
)

// patternReader yields n bytes of a repeated random block, starting with
// a ZIP signature, without holding n bytes anywhere.
type patternReader struct {
	block []byte
	n, at int64
}

func newPattern(n int64) *patternReader {
	b := make([]byte, 1<<20)
	r := rand.New(rand.NewPCG(7, 9))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	copy(b, []byte("PK\x03\x04\x14\x00\x00\x00\x00\x00"))
	return &patternReader{block: b, n: n}
}

func (p *patternReader) Read(dst []byte) (int, error) {
	if p.at >= p.n {
		return 0, io.EOF
	}
	off := p.at % int64(len(p.block))
	k := copy(dst, p.block[off:])
	if rem := p.n - p.at; int64(k) > rem {
		k = int(rem)
	}
	p.at += int64(k)
	return k, nil
}

// peakRSS reads a process's high-water resident set size, in bytes.
func peakRSS(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			f := strings.Fields(line)
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return -1
}

// BenchmarkUpload measures document uploads through the portal (HTTP,
// auth, type sniffing, SHA-256, minio-go) against minio-go PutObject
// straight to the same MinIO, in the same run, and the portal's peak
// RSS. Goals: ≥ 90% of direct throughput; peak RSS ≤ 128 MiB and flat.
// Run once: go test ./cmd/tierlink -bench Upload -benchtime 1x.
func BenchmarkUpload(b *testing.B) {
	mio := miniotest.Start(b)
	bin := buildBinaryB(b)
	dir := b.TempDir()
	env := []string{"TIERLINK_DATA_DIR=" + dir, "TIERLINK_LOG_LEVEL=warn", "TIERLINK_S3_ENDPOINT=" + mio.Endpoint,
		"TIERLINK_S3_ACCESS_KEY=" + mio.AccessKey, "TIERLINK_S3_SECRET_KEY=" + mio.SecretKey, "TIERLINK_S3_BUCKET=bench",
		"TIERLINK_S3_SECURE=false", "TIERLINK_UPLOAD_LIMIT=2GiB", "GOMAXPROCS=2"}
	tok := prepare(b, env)
	p := startServeB(b, bin, env)
	direct := mio.StoreFor(b, "direct").Client()
	ctx := context.Background()
	for _, size := range []int64{1 << 20, 64 << 20, 1 << 30} {
		name := map[int64]string{1 << 20: "1MiB", 64 << 20: "64MiB", 1 << 30: "1GiB"}[size]
		b.Run(name, func(b *testing.B) {
			rounds := int(max(1, (256<<20)/size)) // at least 256 MiB moved per figure
			start := time.Now()
			for i := 0; i < rounds; i++ {
				if _, err := direct.PutObject(ctx, "direct", fmt.Sprintf("o-%d-%d", size, i), newPattern(size), size, minio.PutObjectOptions{}); err != nil {
					b.Fatal(err)
				}
			}
			ref := float64(size*int64(rounds)) / time.Since(start).Seconds() / (1 << 20)
			start = time.Now()
			for i := 0; i < rounds; i++ {
				resp, err := upload(p.base, tok, newPattern(size), size)
				if err != nil {
					b.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 201 {
					b.Fatalf("upload: %d %s", resp.StatusCode, bytes.TrimSpace(body))
				}
			}
			got := float64(size*int64(rounds)) / time.Since(start).Seconds() / (1 << 20)
			b.ReportMetric(got, "MiB/s")
			b.ReportMetric(ref, "ref_MiB/s")
			b.ReportMetric(100*got/ref, "%_of_ref")
			b.ReportMetric(float64(peakRSS(p.cmd.Process.Pid))/(1<<20), "peak_rss_MiB")
		})
	}
}

func buildBinaryB(b *testing.B) string {
	b.Helper()
	bin := b.TempDir() + "/tierlink"
	if out, err := execCommand("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}
