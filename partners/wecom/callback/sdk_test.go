package callback_test

import (
	"bytes"
	"crypto/rand"
	"errors"
	"testing"
	"time"

	"github.com/silenceper/wechat/v2/util"

	"github.com/tierlink/tierlink/partners/wecom/callback"
)

// The SDK's util package (github.com/silenceper/wechat/v2) is an
// implementation of the same protocol not written here: each direction
// of the round trip is checked against it.

const (
	testToken  = "tierlinkToken"
	testKey    = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
	testCorpID = "ww1234567890abcdef"
)

var testNow = time.Date(2026, 12, 3, 10, 32, 0, 0, time.UTC)

func testCrypto(t testing.TB) *callback.Crypto {
	t.Helper()
	c, err := callback.New(callback.Config{Token: testToken, EncodingAESKey: testKey, ReceiveID: testCorpID,
		Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// messages of awkward lengths around the padding block, and Chinese
// text (the length is in bytes).
func sdkMessages() [][]byte {
	msgs := [][]byte{[]byte(""), []byte("x"), []byte("<xml><Content><![CDATA[已批准 · 王芳 10:32]]></Content></xml>")}
	for _, n := range []int{11, 12, 13, 31, 32, 33, 44, 45, 46, 1000} {
		msgs = append(msgs, bytes.Repeat([]byte("a"), n))
	}
	return msgs
}

func TestCrossCheckSDKDecryptsOurs(t *testing.T) {
	c := testCrypto(t)
	for _, msg := range sdkMessages() {
		s, err := c.Encrypt(msg)
		if err != nil {
			t.Fatal(err)
		}
		_, got, err := util.DecryptMsg(testCorpID, s.Encrypt, testKey)
		if err != nil {
			t.Fatalf("SDK cannot decrypt ours (%d bytes): %v", len(msg), err)
		}
		if !bytes.Equal(got, msg) {
			t.Fatalf("SDK decrypts %q, want %q", got, msg)
		}
		if want := util.Signature(testToken, s.Timestamp, s.Nonce, s.Encrypt); s.Signature != want {
			t.Fatalf("signature %s, SDK says %s", s.Signature, want)
		}
		if s.Timestamp != "1796293920" {
			t.Fatalf("timestamp %s is not the clock's", s.Timestamp)
		}
	}
}

func TestCrossCheckWeDecryptSDKs(t *testing.T) {
	c := testCrypto(t)
	for _, msg := range sdkMessages() {
		random := make([]byte, 16)
		_, _ = rand.Read(random)
		enc, err := util.EncryptMsg(random, msg, testCorpID, testKey)
		if err != nil {
			t.Fatal(err)
		}
		ts, nonce := "1796293900", "1372623149"
		p := callback.Params{Signature: util.Signature(testToken, ts, nonce, string(enc)), Timestamp: ts, Nonce: nonce}
		body := callback.Sealed{Encrypt: string(enc)}.Envelope(testCorpID, "1000002")
		got, err := c.Open(p, body)
		if err != nil {
			t.Fatalf("cannot open the SDK's (%d bytes): %v", len(msg), err)
		}
		if !bytes.Equal(got, msg) {
			t.Fatalf("decrypted %q, want %q", got, msg)
		}
		// And as a URL verification.
		p.EchoStr = string(enc)
		if got, err := c.VerifyURL(p); err != nil || !bytes.Equal(got, msg) {
			t.Fatalf("VerifyURL: %q, %v", got, err)
		}
	}
}

// The SDK encrypting for another corp is refused as a wrong receiveid,
// not as a malformed body.
func TestCrossCheckSDKOtherCorp(t *testing.T) {
	c := testCrypto(t)
	enc, err := util.EncryptMsg(make([]byte, 16), []byte("<xml/>"), "wwOTHERCORP", testKey)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Decrypt(string(enc)); callback.KindOf(err) != callback.KindReceiver {
		t.Fatalf("err = %v, want wrong receiveid", err)
	}
}

// Why this package does not use the SDK's decryption: it accepts
// padding whose last byte is right but whose other bytes are not.
func TestCrossCheckSDKLaxPadding(t *testing.T) {
	c := testCrypto(t)
	msg := []byte(cardXML)
	pt := frame(msg, testCorpID, uint32(len(msg)), func(n int) []byte {
		b := goodPad(n)
		b[0] ^= 0xff
		return b
	})
	if pt[len(pt)-1] < 2 {
		t.Fatal("the test message needs at least two padding bytes")
	}
	_, body := rawSeal(t, c, pt, "0")
	enc := string(body[bytes.Index(body, []byte("<Encrypt><![CDATA["))+18 : bytes.Index(body, []byte("]]></Encrypt>"))])
	if _, got, err := util.DecryptMsg(testCorpID, enc, testKey); err != nil || !bytes.Equal(got, msg) {
		t.Logf("the SDK now refuses it too (%v); the doc comment may be updated", err)
	}
	if _, err := c.Decrypt(enc); !errors.Is(err, callback.ErrBadPadding) {
		t.Fatalf("err = %v, want bad padding", err)
	}
}
