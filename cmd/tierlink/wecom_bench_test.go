package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/tierlink/tierlink/ent/database"
	"github.com/tierlink/tierlink/ent/viewer"
	"github.com/tierlink/tierlink/ent/wecomevent"
	"github.com/tierlink/tierlink/partners/wecom/callback"
	"github.com/tierlink/tierlink/partners/wecom/wecomsim"
)

// benchEvents is how many callbacks one iteration sends, so that `make
// bench` (-benchtime 1x) measures a stream, not one event.
const benchEvents = 2000

// BenchmarkServeWeComCallbacks is the callback handling rate of `tierlink
// serve`: distinct add_external_contact callbacks posted to
// /wecom/callback by 4 senders at once, each verified (signature,
// timestamp, receiveid), decrypted, stored and answered, then applied
// by the event worker (which reads the contact from the simulator). It
// reports, from the same run and the same callbacks:
//   - req/s: events verified and applied, from the first posted until
//     the last applied;
//   - answered/s: the HTTP answers alone;
//   - verify_decrypt/s: callback.Crypto.Receive (envelope, signature,
//     timestamp, AES-256-CBC, event XML) in one goroutine;
//   - ref_req/s: the raw decrypt (base64, AES-256-CBC, padding,
//     receiveid) in one goroutine, as BenchmarkDecrypt measures it.
func BenchmarkServeWeComCallbacks(b *testing.B) {
	const corp, secret, token, key = "wwbench", "contact-secret-bench", "callback-token", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
	var posted, applied, verify, raw time.Duration
	for it := range b.N {
		b.StopTimer()
		sim := wecomsim.New(corp, secret)
		sim.AddMember(wecomsim.Member{UserID: "m0", Follow: true})
		now := time.Now().Unix()
		c, err := callback.New(callback.Config{Token: token, EncodingAESKey: key, ReceiveID: corp})
		if err != nil {
			b.Fatal(err)
		}
		type sealed struct {
			q    string
			body []byte
			p    callback.Params
			enc  string
		}
		reqs := make([]sealed, benchEvents)
		for i := range reqs {
			ext := fmt.Sprintf("wmCB%d_%07d", it, i)
			sim.AddContact(wecomsim.Contact{ExternalUserID: ext, Name: ext, Type: 1,
				Follows: []wecomsim.Follow{{UserID: "m0", CreateTime: now}}})
			msg, err := callback.Marshal(&callback.ExternalContactChange{Header: callback.Header{ToUserName: corp,
				FromUserName: "sys", CreateTime: now, MsgType: "event", Event: string(callback.TypeExternalContact)},
				ChangeType: callback.AddExternalContact, UserID: "m0", ExternalUserID: ext})
			if err != nil {
				b.Fatal(err)
			}
			s, err := c.Encrypt(msg)
			if err != nil {
				b.Fatal(err)
			}
			reqs[i] = sealed{s.Params().Query().Encode(), s.Envelope(corp, "1000002"), s.Params(), s.Encrypt}
		}
		dir := b.TempDir()
		env := map[string]string{"TIERLINK_DATA_DIR": dir, "TIERLINK_ADDR": "127.0.0.1:0", "TIERLINK_LOG_LEVEL": "warn",
			"TIERLINK_WECOM_CORP_ID": corp, "TIERLINK_WECOM_CONTACT_SECRET": secret, "TIERLINK_WECOM_CALLBACK_TOKEN": token,
			"TIERLINK_WECOM_CALLBACK_AES_KEY": key, "TIERLINK_WECOM_API_BASE": sim.URL(), "TIERLINK_JOB_SCHEDULES": neverSchedule}
		srv := serveInProcess(b, env)
		base := srv.Base
		db, err := database.Open(context.Background(), database.Target{Dialect: dialect.SQLite, Path: filepath.Join(dir, "tierlink.db")})
		if err != nil {
			b.Fatal(err)
		}
		sys := viewer.NewContext(context.Background(), viewer.System("bench"))

		b.StartTimer()
		start := time.Now()
		work := make(chan sealed)
		var wg sync.WaitGroup
		errs := make(chan error, 4)
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for r := range work {
					resp, err := http.Post(base+"/wecom/callback?"+r.q, "text/xml", bytes.NewReader(r.body))
					if err != nil {
						errs <- err
						return
					}
					got, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 || string(got) != "success" {
						errs <- fmt.Errorf("callback answered %d %q", resp.StatusCode, got)
						return
					}
				}
			}()
		}
		for _, r := range reqs {
			work <- r
		}
		close(work)
		wg.Wait()
		select {
		case err := <-errs:
			b.Fatal(err)
		default:
		}
		posted += time.Since(start)
		for deadline := time.Now().Add(5 * time.Minute); ; time.Sleep(5 * time.Millisecond) {
			n, err := db.Client.WecomEvent.Query().Where(wecomevent.StateEQ(wecomevent.StateApplied)).Count(sys)
			if err != nil {
				b.Fatal(err)
			}
			if n == benchEvents {
				break
			}
			if time.Now().After(deadline) {
				b.Fatalf("%d of %d events applied\n%s", n, benchEvents, srv.Log())
			}
		}
		applied += time.Since(start)
		b.StopTimer()
		if n, err := db.Client.WecomContact.Query().Count(sys); err != nil || n != benchEvents {
			b.Fatalf("%d contacts stored, want %d, %v", n, benchEvents, err)
		}
		// The same callbacks, verified and decrypted in this process.
		start = time.Now()
		for _, r := range reqs {
			if _, err := c.Receive(r.p, r.body); err != nil {
				b.Fatal(err)
			}
		}
		verify += time.Since(start)
		start = time.Now()
		for _, r := range reqs {
			if _, err := c.Decrypt(r.enc); err != nil {
				b.Fatal(err)
			}
		}
		raw += time.Since(start)
		srv.Stop(b)
		db.Close()
		sim.Close()
		b.StartTimer()
	}
	n := float64(b.N * benchEvents)
	rate := n / applied.Seconds()
	b.ReportMetric(rate, "req/s")
	b.ReportMetric(n/posted.Seconds(), "answered/s")
	b.ReportMetric(n/verify.Seconds(), "verify_decrypt/s")
	b.ReportMetric(n/raw.Seconds(), "ref_req/s")
	b.ReportMetric(100*rate/(n/raw.Seconds()), "%_of_ref")
}
