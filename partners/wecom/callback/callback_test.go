package callback_test

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tierlink/tierlink/partners/wecom/callback"
)

const cardXML = `<xml><ToUserName><![CDATA[ww1234567890abcdef]]></ToUserName><FromUserName><![CDATA[wangfang]]></FromUserName><CreateTime>1796293900</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[template_card_event]]></Event><EventKey><![CDATA[approve]]></EventKey><TaskId><![CDATA[cr-42]]></TaskId><CardType><![CDATA[button_interaction]]></CardType><ResponseCode><![CDATA[rc-1]]></ResponseCode><AgentID>1000002</AgentID></xml>`

// rawSeal encrypts plaintext exactly as given (no framing, no padding
// added) with the test key, and signs it, to build broken requests that
// still carry a valid signature.
func rawSeal(t testing.TB, c *callback.Crypto, plaintext []byte, ts string) (callback.Params, []byte) {
	t.Helper()
	key, err := callback.DecodeAESKey(testKey)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := aes.NewCipher(key)
	ct := make([]byte, len(plaintext))
	cipher.NewCBCEncrypter(block, key[:16]).CryptBlocks(ct, plaintext)
	enc := base64.StdEncoding.EncodeToString(ct)
	return sign(c, enc, ts), callback.Sealed{Encrypt: enc}.Envelope(testCorpID, "1000002")
}

func sign(c *callback.Crypto, enc, ts string) callback.Params {
	return callback.Params{Signature: c.Signature(ts, "42", enc), Timestamp: ts, Nonce: "42"}
}

// frame builds random + length + msg + receiveid + pad as the protocol
// says, with the length field and padding open to tampering.
func frame(msg []byte, receiveID string, length uint32, pad func(n int) []byte) []byte {
	b := append(make([]byte, 16), binary.BigEndian.AppendUint32(nil, length)...)
	b = append(append(b, msg...), receiveID...)
	n := 32 - len(b)%32
	return append(b, pad(n)...)
}

func goodPad(n int) []byte { return bytes.Repeat([]byte{byte(n)}, n) }

func TestReceiveTypedErrors(t *testing.T) {
	c := testCrypto(t)
	now := strconv.FormatInt(testNow.Unix(), 10)
	good, err := c.Encrypt([]byte(cardXML))
	if err != nil {
		t.Fatal(err)
	}
	goodBody := good.Envelope(testCorpID, "1000002")
	if _, err := c.Receive(good.Params(), goodBody); err != nil {
		t.Fatalf("the good request fails: %v", err)
	}
	msg := []byte(cardXML)
	type req struct {
		p    callback.Params
		body []byte
	}
	cases := []struct {
		name string
		req  func() req
		want error
	}{
		{"ErrBadSignature", func() req {
			p := good.Params()
			p.Signature = strings.Repeat("0", 40)
			return req{p, goodBody}
		}, callback.ErrBadSignature},
		{"ErrBadSignatureUppercase", func() req {
			p := good.Params()
			p.Signature = strings.ToUpper(p.Signature)
			return req{p, goodBody}
		}, callback.ErrBadSignature},
		{"ErrBadSignatureOtherNonce", func() req {
			p := good.Params()
			p.Nonce += "1"
			return req{p, goodBody}
		}, callback.ErrBadSignature},
		{"ErrBadSignatureTamperedCiphertext", func() req {
			return req{good.Params(), bytes.Replace(goodBody, []byte(good.Encrypt[:8]), []byte("AAAAAAAA"), 1)}
		}, callback.ErrBadSignature},
		{"ErrStaleTimestampReplayed", func() req {
			// A request captured six minutes ago, replayed now.
			old := strconv.FormatInt(testNow.Add(-6*time.Minute).Unix(), 10)
			p, body := sealAt(t, c, msg, old)
			return req{p, body}
		}, callback.ErrStaleTimestamp},
		{"ErrStaleTimestampFuture", func() req {
			p, body := sealAt(t, c, msg, strconv.FormatInt(testNow.Add(6*time.Minute).Unix(), 10))
			return req{p, body}
		}, callback.ErrStaleTimestamp},
		{"ErrStaleTimestampMinInt64", func() req {
			p, body := sealAt(t, c, msg, "-9223372036854775808")
			return req{p, body}
		}, callback.ErrStaleTimestamp},
		{"ErrStaleTimestampMaxInt64", func() req {
			p, body := sealAt(t, c, msg, "9223372036854775807")
			return req{p, body}
		}, callback.ErrStaleTimestamp},
		{"ErrBadTimestamp", func() req {
			p, body := sealAt(t, c, msg, "soon")
			return req{p, body}
		}, callback.ErrBadTimestamp},
		{"ErrWrongReceiver", func() req {
			p, body := rawSeal(t, c, frame(msg, "wwSOMEONEELSE", uint32(len(msg)), goodPad), now)
			return req{p, body}
		}, callback.ErrWrongReceiver},
		{"ErrWrongReceiverEmpty", func() req {
			p, body := rawSeal(t, c, frame(msg, "", uint32(len(msg)), goodPad), now)
			return req{p, body}
		}, callback.ErrWrongReceiver},
		{"ErrBadXMLEnvelope", func() req {
			return req{good.Params(), []byte("<xml><Encrypt>" + good.Encrypt + "</Encrypt>")}
		}, callback.ErrBadXML},
		{"ErrBadXMLEnvelopeRoot", func() req {
			return req{good.Params(), []byte("<json><Encrypt>" + good.Encrypt + "</Encrypt></json>")}
		}, callback.ErrBadXML},
		{"ErrMissingFieldEncrypt", func() req {
			return req{good.Params(), []byte("<xml><ToUserName>x</ToUserName></xml>")}
		}, callback.ErrMissingField},
		{"ErrBadXMLEvent", func() req {
			p, body := sealAt(t, c, []byte("<xml><Event>template_card_event</Event"), now)
			return req{p, body}
		}, callback.ErrBadXML},
		{"ErrMissingFieldTaskId", func() req {
			p, body := sealAt(t, c, []byte(strings.Replace(cardXML, "<TaskId><![CDATA[cr-42]]></TaskId>", "", 1)), now)
			return req{p, body}
		}, callback.ErrMissingField},
		{"ErrBadBase64", func() req {
			enc := "not*base64!"
			return req{sign(c, enc, now), callback.Sealed{Encrypt: enc}.Envelope(testCorpID, "1")}
		}, callback.ErrBadBase64},
		{"ErrTruncated", func() req {
			ct, _ := base64.StdEncoding.DecodeString(good.Encrypt)
			enc := base64.StdEncoding.EncodeToString(ct[:len(ct)-16])
			return req{sign(c, enc, now), callback.Sealed{Encrypt: enc}.Envelope(testCorpID, "1")}
		}, callback.ErrTruncated},
		{"ErrTruncatedOddLength", func() req {
			ct, _ := base64.StdEncoding.DecodeString(good.Encrypt)
			enc := base64.StdEncoding.EncodeToString(ct[:len(ct)-3])
			return req{sign(c, enc, now), callback.Sealed{Encrypt: enc}.Envelope(testCorpID, "1")}
		}, callback.ErrTruncated},
		{"ErrBadPaddingZero", func() req {
			p, body := rawSeal(t, c, frame(msg, testCorpID, uint32(len(msg)), func(n int) []byte {
				b := goodPad(n)
				b[n-1] = 0
				return b
			}), now)
			return req{p, body}
		}, callback.ErrBadPadding},
		{"ErrBadPaddingTooLong", func() req {
			p, body := rawSeal(t, c, frame(msg, testCorpID, uint32(len(msg)), func(n int) []byte {
				b := goodPad(n)
				b[n-1] = 33
				return b
			}), now)
			return req{p, body}
		}, callback.ErrBadPadding},
		{"ErrBadPaddingInconsistent", func() req {
			// The last byte is right; an earlier padding byte is not.
			// The SDK's util.DecryptMsg accepts this one.
			p, body := rawSeal(t, c, frame(msg, testCorpID, uint32(len(msg)), func(n int) []byte {
				b := goodPad(n)
				if n > 1 {
					b[0] ^= 0xff
				}
				return b
			}), now)
			return req{p, body}
		}, callback.ErrBadPadding},
		{"ErrBadLength", func() req {
			p, body := rawSeal(t, c, frame(msg, testCorpID, uint32(len(msg)+len(testCorpID)+1), goodPad), now)
			return req{p, body}
		}, callback.ErrBadLength},
		{"ErrBadLengthHuge", func() req {
			p, body := rawSeal(t, c, frame(msg, testCorpID, 0xffffffff, goodPad), now)
			return req{p, body}
		}, callback.ErrBadLength},
		{"ErrBadLengthShort", func() req {
			// 32 bytes of padding only: nothing left for the header.
			p, body := rawSeal(t, c, goodPad(32), now)
			return req{p, body}
		}, callback.ErrBadLength},
		{"ErrTooLarge", func() req {
			return req{good.Params(), bytes.Repeat([]byte("a"), 3*callback.MaxEncryptLen)}
		}, callback.ErrTooLarge},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.req()
			ev, err := c.Receive(r.p, r.body)
			if ev != nil {
				t.Fatalf("returned an event with the error: %#v", ev)
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			var ce *callback.Error
			if !errors.As(err, &ce) || ce.Kind != tc.want.(*callback.Error).Kind {
				t.Fatalf("err = %#v is not a typed %v", err, tc.want)
			}
		})
	}
	// The malformed reasons are distinct from one another.
	if errors.Is(callback.ErrBadPadding, callback.ErrBadLength) || !errors.Is(callback.ErrBadPadding, callback.ErrMalformed) {
		t.Fatal("malformed reasons do not match as documented")
	}
}

func sealAt(t testing.TB, c *callback.Crypto, msg []byte, ts string) (callback.Params, []byte) {
	t.Helper()
	at := testNow
	if sec, err := strconv.ParseInt(ts, 10, 64); err == nil {
		at = time.Unix(sec, 0)
	}
	sc, err := callback.New(callback.Config{Token: testToken, EncodingAESKey: testKey, ReceiveID: testCorpID,
		Now: func() time.Time { return at }})
	if err != nil {
		t.Fatal(err)
	}
	s, err := sc.Encrypt(msg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := strconv.ParseInt(ts, 10, 64); err != nil {
		// A timestamp that is no number, signed as such.
		s.Timestamp, s.Signature = ts, c.Signature(ts, s.Nonce, s.Encrypt)
	}
	return s.Params(), s.Envelope(testCorpID, "1000002")
}

func TestWindow(t *testing.T) {
	at := testNow
	c, err := callback.New(callback.Config{Token: testToken, EncodingAESKey: testKey, ReceiveID: testCorpID,
		Window: time.Minute, Now: func() time.Time { return at }})
	if err != nil {
		t.Fatal(err)
	}
	s, _ := c.Encrypt([]byte(cardXML))
	for _, tc := range []struct {
		name string
		d    time.Duration
		ok   bool
	}{{"OnTime", 0, true}, {"AtTheEdge", time.Minute, true}, {"AfterTheEdge", time.Minute + time.Second, false},
		{"ClockBehind", -time.Minute, true}, {"ClockFarBehind", -2 * time.Minute, false}} {
		t.Run(tc.name, func(t *testing.T) {
			at = testNow.Add(tc.d)
			_, err := c.Receive(s.Params(), s.Envelope(testCorpID, "1"))
			if tc.ok != (err == nil) || (!tc.ok && !errors.Is(err, callback.ErrStaleTimestamp)) {
				t.Fatalf("at %v: err = %v", tc.d, err)
			}
		})
	}
}

func TestVerifyURL(t *testing.T) {
	c := testCrypto(t)
	s, err := c.Encrypt([]byte("8012749181283"))
	if err != nil {
		t.Fatal(err)
	}
	// As WeCom sends it: on the query string, URL-encoded.
	q, _ := url.ParseQuery(url.Values{"msg_signature": {s.Signature}, "timestamp": {s.Timestamp}, "nonce": {s.Nonce},
		"echostr": {s.Encrypt}}.Encode())
	p := callback.ParamsFromQuery(q)
	echo, err := c.VerifyURL(p)
	if err != nil || string(echo) != "8012749181283" {
		t.Fatalf("VerifyURL = %q, %v", echo, err)
	}
	if got := callback.ParamsFromQuery(p.Query()); got != p {
		t.Fatalf("Query does not round-trip: %+v", got)
	}
	t.Run("ErrBadSignature", func(t *testing.T) {
		bad := p
		bad.Signature = c.Signature(p.Timestamp, p.Nonce, "other")
		if echo, err := c.VerifyURL(bad); echo != nil || !errors.Is(err, callback.ErrBadSignature) {
			t.Fatalf("VerifyURL = %q, %v", echo, err)
		}
	})
	t.Run("ErrMissingField", func(t *testing.T) {
		bad := p
		bad.EchoStr = ""
		if echo, err := c.VerifyURL(bad); echo != nil || !errors.Is(err, callback.ErrMissingField) {
			t.Fatalf("VerifyURL = %q, %v", echo, err)
		}
	})
}

func TestReply(t *testing.T) {
	c := testCrypto(t)
	s, err := c.Encrypt([]byte("<xml><Content>ok</Content></xml>"))
	if err != nil {
		t.Fatal(err)
	}
	// A passive reply carries its own signature fields; a receiver reads
	// them from the body rather than the URL.
	reply := string(s.Reply())
	for _, want := range []string{"<Encrypt><![CDATA[" + s.Encrypt + "]]></Encrypt>",
		"<MsgSignature><![CDATA[" + s.Signature + "]]></MsgSignature>", "<TimeStamp>" + s.Timestamp + "</TimeStamp>",
		"<Nonce><![CDATA[" + s.Nonce + "]]></Nonce>"} {
		if !strings.Contains(reply, want) {
			t.Errorf("reply %s lacks %s", reply, want)
		}
	}
	if got, err := c.Open(s.Params(), s.Reply()); err != nil || string(got) != "<xml><Content>ok</Content></xml>" {
		t.Fatalf("reply does not open: %q, %v", got, err)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	for name, cfg := range map[string]callback.Config{
		"ShortKey":   {Token: "t", EncodingAESKey: testKey[:42], ReceiveID: "c"},
		"LongKey":    {Token: "t", EncodingAESKey: testKey + "A", ReceiveID: "c"},
		"NotBase64":  {Token: "t", EncodingAESKey: "*" + testKey[1:], ReceiveID: "c"},
		"NoToken":    {EncodingAESKey: testKey, ReceiveID: "c"},
		"NoReceiver": {Token: "t", EncodingAESKey: testKey},
	} {
		t.Run(name, func(t *testing.T) {
			if c, err := callback.New(cfg); err == nil || c != nil {
				t.Fatalf("New accepted %+v", cfg)
			}
		})
	}
}

// Two encryptions of the same message differ (fresh random bytes and
// nonce), and each opens.
func TestEncryptIsFresh(t *testing.T) {
	c := testCrypto(t)
	a, _ := c.Encrypt([]byte(cardXML))
	b, _ := c.Encrypt([]byte(cardXML))
	if a.Encrypt == b.Encrypt || a.Nonce == b.Nonce {
		t.Fatal("two encryptions are the same")
	}
	for _, s := range []callback.Sealed{a, b} {
		if _, err := c.Receive(s.Params(), s.Envelope(testCorpID, "1")); err != nil {
			t.Fatal(err)
		}
	}
}
