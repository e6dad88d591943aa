package bridges_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tierlink/tierlink/partners/bridges"
)

// FuzzVerifyWebhook: arbitrary headers and bodies never panic and never
// verify unless signed with the secret.
func FuzzVerifyWebhook(f *testing.F) {
	const secret = "whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
	ts := "1796117400"
	good, _ := bridges.SignWebhook(secret, "msg_1", ts, []byte(`{"a":1}`))
	f.Add("msg_1", ts, good, []byte(`{"a":1}`))
	f.Add("msg_1", ts, "v1,AAAA v1,"+good[3:], []byte(`{"a":1}`))
	f.Add("", "x", "v2,zz", []byte{})
	f.Fuzz(func(t *testing.T, id, timestamp, sig string, body []byte) {
		h := http.Header{}
		h.Set("webhook-id", id)
		h.Set("webhook-timestamp", timestamp)
		h.Set("webhook-signature", sig)
		err := bridges.VerifyWebhook(secret, h, body, time.Unix(1796117400, 0), 5*time.Minute)
		if err == nil {
			want, _ := bridges.SignWebhook(secret, id, timestamp, body)
			if !slices.Contains(strings.Fields(sig), want) {
				t.Fatalf("verified without the signature: id=%q ts=%q sig=%q", id, timestamp, sig)
			}
		}
	})
}
