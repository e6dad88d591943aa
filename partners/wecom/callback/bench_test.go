package callback_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tierlink/tierlink/partners/wecom/callback"
)

// benchBatch is how many callbacks one iteration handles, so that
// `make bench` (-benchtime 1x) measures more than one event.
const benchBatch = 10000

type benchCallback struct {
	p    callback.Params
	body []byte
	enc  string
}

// benchCallbacks seals n distinct callbacks: card clicks and contact
// changes in turn, shaped like the documented ones.
func benchCallbacks(b *testing.B, c *callback.Crypto, n int) []benchCallback {
	b.Helper()
	out := make([]benchCallback, n)
	for i := range out {
		var x string
		if i%2 == 0 {
			x = strings.Replace(cardXML, "cr-42", fmt.Sprintf("cr-%d", i), 1)
		} else {
			x = strings.Replace(documentedEvents[i%5].xml, "woAJ2GCAAAXtWyujaWJHDDGi0mAAAA", fmt.Sprintf("wm%030d", i), 1)
		}
		s, err := c.Encrypt([]byte(x))
		if err != nil {
			b.Fatal(err)
		}
		out[i] = benchCallback{s.Params(), s.Envelope(testCorpID, "1000002"), s.Encrypt}
	}
	return out
}

// BenchmarkDecrypt is the raw decrypt rate: base64, AES-256-CBC,
// padding, length and receiveid, nothing else.
func BenchmarkDecrypt(b *testing.B) {
	c := testCrypto(b)
	cbs := benchCallbacks(b, c, benchBatch)
	var bytes int64
	for _, cb := range cbs {
		bytes += int64(len(cb.enc))
	}
	b.SetBytes(bytes)
	b.ResetTimer()
	for range b.N {
		for _, cb := range cbs {
			if _, err := c.Decrypt(cb.enc); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.N*benchBatch)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkVerifyDecodeEvent is the callback handling rate up to the
// typed event: envelope XML, signature, timestamp, decryption and event
// XML, beside the raw decrypt rate measured in the same run (ref). What
// applying an event costs is measured where events are applied.
func BenchmarkVerifyDecodeEvent(b *testing.B) {
	c := testCrypto(b)
	cbs := benchCallbacks(b, c, benchBatch)
	var got, ref time.Duration
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		for _, cb := range cbs {
			if _, err := c.Receive(cb.p, cb.body); err != nil {
				b.Fatal(err)
			}
		}
		got += time.Since(start)
		start = time.Now()
		for _, cb := range cbs {
			if _, err := c.Decrypt(cb.enc); err != nil {
				b.Fatal(err)
			}
		}
		ref += time.Since(start)
	}
	n := float64(b.N * benchBatch)
	g, r := n/got.Seconds(), n/ref.Seconds()
	b.ReportMetric(g, "req/s")
	b.ReportMetric(r, "ref_req/s")
	b.ReportMetric(100*g/r, "%_of_ref")
}
