package callback_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tierlink/tierlink/partners/wecom/callback"
)

// The sample from WeCom's documentation of the callback crypto
// (加解密方案说明, https://developer.work.weixin.qq.com/document/path/90968
// and 91144, "举例说明"), also in WeCom's sample code, e.g.
// github.com/sbzhu/weworkapi_golang sample.go (by the WeCom team) and
// Tencent's C# Sample.cs: token, EncodingAESKey and corp id, a URL
// verification (GET) and an encrypted POST.
const (
	sampleToken  = "QDG6eK"
	sampleKey    = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
	sampleCorpID = "wx5823bf96d3bd56c7"

	sampleVerifySig   = "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3"
	sampleVerifyTS    = "1409659589"
	sampleVerifyNonce = "263014780"
	sampleEchoStr     = "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ=="

	samplePostSig   = "477715d11cdb4164915debcba66cb864d751f3e6"
	samplePostTS    = "1409659813"
	samplePostNonce = "1372623149"
	samplePostBody  = "<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName><Encrypt><![CDATA[RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==]]></Encrypt><AgentID><![CDATA[218]]></AgentID></xml>"
)

// sampleCrypto is the sample's settings with the clock at the Unix
// time at.
func sampleCrypto(t testing.TB, at int64) *callback.Crypto {
	t.Helper()
	c, err := callback.New(callback.Config{Token: sampleToken, EncodingAESKey: sampleKey, ReceiveID: sampleCorpID,
		Now: func() time.Time { return time.Unix(at, 0) }})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestWeComSampleVector(t *testing.T) {
	t.Run("VerifyURL", func(t *testing.T) {
		c := sampleCrypto(t, 1409659589+60)
		echo, err := c.VerifyURL(callback.Params{Signature: sampleVerifySig, Timestamp: sampleVerifyTS,
			Nonce: sampleVerifyNonce, EchoStr: sampleEchoStr})
		if err != nil {
			t.Fatal(err)
		}
		// The plaintext WeCom's sample expects back.
		if string(echo) != "1616140317555161061" {
			t.Errorf("echostr decrypts to %q", echo)
		}
		if got := c.Signature(sampleVerifyTS, sampleVerifyNonce, sampleEchoStr); got != sampleVerifySig {
			t.Errorf("signature %s, WeCom's sample says %s", got, sampleVerifySig)
		}
	})
	t.Run("DecryptPost", func(t *testing.T) {
		c := sampleCrypto(t, 1409659813-60)
		p := callback.Params{Signature: samplePostSig, Timestamp: samplePostTS, Nonce: samplePostNonce}
		msg, err := c.Open(p, []byte(samplePostBody))
		if err != nil {
			t.Fatal(err)
		}
		want := strings.Join([]string{"<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName>",
			"<FromUserName><![CDATA[mycreate]]></FromUserName>", "<CreateTime>1409659813</CreateTime>",
			"<MsgType><![CDATA[text]]></MsgType>", "<Content><![CDATA[hello]]></Content>",
			"<MsgId>4561255354251345929</MsgId>", "<AgentID>218</AgentID>", "</xml>"}, "\n")
		if string(msg) != want {
			t.Errorf("decrypted message:\n%q\nwant\n%q", msg, want)
		}
		// A text message is not an event we type: kept as unknown, with
		// WeCom's MsgId as its identity.
		ev, err := c.Receive(p, []byte(samplePostBody))
		if err != nil {
			t.Fatal(err)
		}
		u, ok := ev.(*callback.UnknownEvent)
		if !ok || u.MsgID != "4561255354251345929" || u.FromUserName != "mycreate" || u.CreateTime != 1409659813 ||
			string(u.Plaintext()) != want {
			t.Errorf("decoded %#v", ev)
		}
	})
	t.Run("WrongCorpID", func(t *testing.T) {
		c, err := callback.New(callback.Config{Token: sampleToken, EncodingAESKey: sampleKey, ReceiveID: "wx5823bf96d3bd56c8",
			Now: func() time.Time { return time.Unix(1409659813, 0) }})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Open(callback.Params{Signature: samplePostSig, Timestamp: samplePostTS, Nonce: samplePostNonce},
			[]byte(samplePostBody))
		if !errors.Is(err, callback.ErrWrongReceiver) {
			t.Fatalf("err = %v, want wrong receiveid", err)
		}
		// The message names the corp id it was for, so a corp id set
		// wrongly is easy to spot.
		if !strings.Contains(err.Error(), `"wx5823bf96d3bd56c7"`) {
			t.Fatalf("err = %v does not name the receiveid", err)
		}
	})
	t.Run("SampleIsStaleToday", func(t *testing.T) {
		c := sampleCrypto(t, time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC).Unix())
		_, err := c.Open(callback.Params{Signature: samplePostSig, Timestamp: samplePostTS, Nonce: samplePostNonce},
			[]byte(samplePostBody))
		if !errors.Is(err, callback.ErrStaleTimestamp) {
			t.Fatalf("err = %v, want stale", err)
		}
	})
}
