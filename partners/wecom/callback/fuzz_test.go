package callback_test

import (
	"encoding/xml"
	"reflect"
	"strconv"
	"testing"

	"github.com/tierlink/tierlink/partners/wecom/callback"
)

// FuzzDecodeCallback feeds arbitrary envelopes, signatures, timestamps
// and nonces to Receive. It never panics; every failure is typed and
// returns no event; and whatever it accepts was signed with the token,
// is fresh, and round-trips: encrypted again it decodes to the same
// event, and its Marshal decodes to the same typed event. With resign
// set, the signature is recomputed over the envelope's Encrypt, so the
// fuzzer reaches decryption and decoding rather than stopping at the
// signature.
func FuzzDecodeCallback(f *testing.F) {
	c := testCrypto(f)
	now := strconv.FormatInt(testNow.Unix(), 10)
	for _, tc := range documentedEvents {
		s, err := c.Encrypt([]byte(tc.xml))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(s.Envelope(testCorpID, "1000002"), s.Signature, s.Timestamp, s.Nonce, false)
	}
	s, _ := c.Encrypt([]byte(cardXML))
	f.Add(s.Reply(), s.Signature, s.Timestamp, s.Nonce, false)
	f.Add(s.Envelope(testCorpID, "1"), s.Signature, now, "x", true)
	f.Add([]byte(samplePostBody), samplePostSig, samplePostTS, samplePostNonce, false)
	f.Add([]byte(samplePostBody), "", now, samplePostNonce, true)
	f.Add([]byte("<xml><Encrypt>AAAA</Encrypt></xml>"), "", now, "1", true)
	f.Add([]byte("<xml><Encrypt/></xml>"), "", "", "", false)
	f.Add([]byte{}, "", "", "", false)
	f.Fuzz(func(t *testing.T, body []byte, sig, ts, nonce string, resign bool) {
		var env struct {
			Encrypt string `xml:"Encrypt"`
		}
		_ = xml.Unmarshal(body, &env)
		if resign {
			sig = c.Signature(ts, nonce, env.Encrypt)
		}
		p := callback.Params{Signature: sig, Timestamp: ts, Nonce: nonce}
		ev, err := c.Receive(p, body)
		if err != nil {
			if ev != nil || callback.KindOf(err) == 0 {
				t.Fatalf("failure without a typed error, or with an event: %v, %#v", err, ev)
			}
			return
		}
		if sig != c.Signature(ts, nonce, env.Encrypt) {
			t.Fatalf("accepted without the token's signature: %q", sig)
		}
		if sec, err := strconv.ParseInt(ts, 10, 64); err != nil || sec < testNow.Unix()-300 || sec > testNow.Unix()+300 {
			t.Fatalf("accepted a stale timestamp %q", ts)
		}
		roundTrip(t, c, ev)
	})
}

// FuzzDecodeEvent feeds arbitrary plaintext to DecodeEvent, and what it
// accepts through the whole encrypt-and-receive path.
func FuzzDecodeEvent(f *testing.F) {
	c := testCrypto(f)
	for _, tc := range documentedEvents {
		f.Add([]byte(tc.xml))
	}
	f.Add([]byte("<xml><MsgType>event</MsgType><Event>template_card_event</Event><CreateTime> 1 </CreateTime><FromUserName>a]]>b</FromUserName><TaskId>t</TaskId><EventKey>k</EventKey><SelectedItems><SelectedItem><OptionIds><OptionId></OptionId></OptionIds></SelectedItem></SelectedItems></xml>"))
	f.Add([]byte("<xml/>"))
	f.Add([]byte("<a:xml xmlns:a='x'/>"))
	f.Fuzz(func(t *testing.T, plaintext []byte) {
		ev, err := callback.DecodeEvent(plaintext)
		if err != nil {
			if ev != nil || callback.KindOf(err) != callback.KindMalformed {
				t.Fatalf("failure not typed malformed, or with an event: %v, %#v", err, ev)
			}
			return
		}
		if string(ev.Plaintext()) != string(plaintext) {
			t.Fatal("plaintext not kept")
		}
		roundTrip(t, c, ev)
	})
}

// roundTrip checks that an accepted event, encrypted again and received,
// is the same event, and that its Marshal decodes to the same typed
// event.
func roundTrip(t *testing.T, c *callback.Crypto, ev callback.Event) {
	t.Helper()
	s, err := c.Encrypt(ev.Plaintext())
	if err != nil {
		t.Fatal(err)
	}
	again, err := c.Receive(s.Params(), s.Envelope(testCorpID, "1"))
	if err != nil {
		t.Fatalf("re-encrypted event fails: %v", err)
	}
	if !reflect.DeepEqual(again, ev) || again.Identity() != ev.Identity() {
		t.Fatalf("re-encrypted event differs:\n%#v\n%#v", again, ev)
	}
	out, err := callback.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	back, err := callback.DecodeEvent(out)
	if err != nil {
		t.Fatalf("Marshal output %q does not decode: %v", out, err)
	}
	if !reflect.DeepEqual(callback.WithoutPlaintext(back), callback.WithoutPlaintext(ev)) || back.Identity() != ev.Identity() {
		t.Fatalf("Marshal does not round-trip:\n%q\n%#v\n%#v", out, callback.WithoutPlaintext(back), callback.WithoutPlaintext(ev))
	}
}
