package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/tierlink/tierlink/ent/database"
	"github.com/tierlink/tierlink/ent/viewer"
	"github.com/tierlink/tierlink/ent/wecomcontact"
	"github.com/tierlink/tierlink/ent/wecomevent"
	"github.com/tierlink/tierlink/partners/wecom/callback"
	"github.com/tierlink/tierlink/partners/wecom/wecomsim"
)

// `tierlink serve` with callbacks configured answers a WeCom callback at
// once and its event worker applies it: the contact is stored.
func TestServeAppliesWeComCallbacks(t *testing.T) {
	const corp, secret, token, key = "wwserve", "contact-secret-serve", "callback-token", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
	sim := wecomsim.New(corp, secret)
	defer sim.Close()
	sim.AddMember(wecomsim.Member{UserID: "m0", Follow: true})
	sim.AddContact(wecomsim.Contact{ExternalUserID: "wmSERVE", Name: "王芳", Type: 1,
		Follows: []wecomsim.Follow{{UserID: "m0", CreateTime: time.Now().Unix()}}})
	dir := t.TempDir()
	env := map[string]string{"TIERLINK_DATA_DIR": dir, "TIERLINK_ADDR": "127.0.0.1:0", "TIERLINK_LOG_LEVEL": "warn",
		"TIERLINK_WECOM_CORP_ID": corp, "TIERLINK_WECOM_CONTACT_SECRET": secret, "TIERLINK_WECOM_CALLBACK_TOKEN": token,
		"TIERLINK_WECOM_CALLBACK_AES_KEY": key, "TIERLINK_WECOM_API_BASE": sim.URL()}
	srv := serveInProcess(t, env)
	base := srv.Base
	c, err := callback.New(callback.Config{Token: token, EncodingAESKey: key, ReceiveID: corp})
	if err != nil {
		t.Fatal(err)
	}
	msg, _ := callback.Marshal(&callback.ExternalContactChange{Header: callback.Header{ToUserName: corp, FromUserName: "sys",
		CreateTime: time.Now().Unix(), MsgType: "event", Event: string(callback.TypeExternalContact)},
		ChangeType: callback.AddExternalContact, UserID: "m0", ExternalUserID: "wmSERVE"})
	s, err := c.Encrypt(msg)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	resp, err := http.Post(base+"/wecom/callback?"+s.Params().Query().Encode(), "text/xml", bytes.NewReader(s.Envelope(corp, "1000002")))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != "success" {
		t.Fatalf("callback: %d %q", resp.StatusCode, b)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("answered in %v, past WeCom's 5 s", took)
	}
	// The worker, woken by the store, applies the event.
	db, err := database.Open(context.Background(), database.Target{Dialect: dialect.SQLite, Path: filepath.Join(dir, "tierlink.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	sys := viewer.NewContext(context.Background(), viewer.System("test"))
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		n, err := db.Client.WecomEvent.Query().Where(wecomevent.StateEQ(wecomevent.StateApplied)).Count(sys)
		if err != nil {
			t.Fatal(err)
		}
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the event was never applied\n%s", srv.Log())
		}
	}
	t.Logf("callback answered and applied in %v", time.Since(start))
	srv.Stop(t)
	wc, err := db.Client.WecomContact.Query().Where(wecomcontact.ExternalUserid("wmSERVE")).Only(sys)
	if err != nil || wc.Name != "王芳" || wc.RemovedAt != nil {
		t.Fatalf("contact %+v, %v", wc, err)
	}
}
