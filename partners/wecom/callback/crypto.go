package callback

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"net/url"
	"slices"
	"strconv"
	"time"
)

// DefaultWindow is how far a callback's timestamp may lie from now
// unless Config.Window says otherwise.
const DefaultWindow = 5 * time.Minute

// MaxEncryptLen bounds the base64 text accepted for decryption (1 MiB);
// WeCom's events are a few hundred bytes.
const MaxEncryptLen = 1 << 20

// padBlock is WeCom's PKCS#7 block size: 32 bytes, not AES's 16.
const padBlock = 32

// Config holds one WeCom app's callback settings.
type Config struct {
	// Token is the callback token set in WeCom's admin console.
	Token string
	// EncodingAESKey is the 43-character key set beside the token.
	EncodingAESKey string
	// ReceiveID is the corp id for a self-built app: what the plaintext
	// must end with.
	ReceiveID string
	// Window is how far a timestamp may lie from now, either way;
	// DefaultWindow when zero.
	Window time.Duration
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Rand supplies the 16 random bytes and the nonce when encrypting;
	// crypto/rand when nil.
	Rand io.Reader
}

// Crypto verifies, decrypts and encrypts callbacks for one app. It is
// safe for concurrent use.
type Crypto struct {
	token     string
	receiveID string
	key       []byte
	block     cipher.Block
	window    time.Duration
	now       func() time.Time
	rand      io.Reader
}

// New checks cfg and returns a Crypto for it.
func New(cfg Config) (*Crypto, error) {
	if cfg.Token == "" {
		return nil, errors.New("wecom callback: the token is empty")
	}
	if cfg.ReceiveID == "" {
		return nil, errors.New("wecom callback: the receive id (corp id) is empty")
	}
	key, err := DecodeAESKey(cfg.EncodingAESKey)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("wecom callback: %w", err)
	}
	c := &Crypto{token: cfg.Token, receiveID: cfg.ReceiveID, key: key, block: block,
		window: cfg.Window, now: cfg.Now, rand: cfg.Rand}
	if c.window <= 0 {
		c.window = DefaultWindow
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.rand == nil {
		c.rand = rand.Reader
	}
	return c, nil
}

// DecodeAESKey turns a 43-character EncodingAESKey into the 32-byte AES
// key: base64 of the key with "=" appended. The two spare bits of the
// last character are ignored, as WeCom's keys (and its sample key) rely
// on.
func DecodeAESKey(encodingAESKey string) ([]byte, error) {
	if len(encodingAESKey) != 43 {
		return nil, fmt.Errorf("wecom callback: the EncodingAESKey must be 43 characters, not %d", len(encodingAESKey))
	}
	key, err := base64.StdEncoding.DecodeString(encodingAESKey + "=")
	if err != nil || len(key) != 32 {
		return nil, errors.New("wecom callback: the EncodingAESKey is not valid base64")
	}
	return key, nil
}

// Params are the query parameters WeCom adds to a callback URL.
type Params struct {
	Signature string // msg_signature
	Timestamp string // timestamp, Unix seconds
	Nonce     string // nonce
	EchoStr   string // echostr, on URL verification (GET) only
}

// ParamsFromQuery reads Params from a decoded URL query.
func ParamsFromQuery(q url.Values) Params {
	return Params{Signature: q.Get("msg_signature"), Timestamp: q.Get("timestamp"),
		Nonce: q.Get("nonce"), EchoStr: q.Get("echostr")}
}

// Query encodes p as WeCom puts it on the URL.
func (p Params) Query() url.Values {
	q := url.Values{"msg_signature": {p.Signature}, "timestamp": {p.Timestamp}, "nonce": {p.Nonce}}
	if p.EchoStr != "" {
		q.Set("echostr", p.EchoStr)
	}
	return q
}

// Signature is msg_signature for the given timestamp, nonce and
// encrypted text: hex(sha1(sorted(token, timestamp, nonce, encrypt))).
func (c *Crypto) Signature(timestamp, nonce, encrypt string) string {
	parts := []string{c.token, timestamp, nonce, encrypt}
	slices.Sort(parts)
	h := sha1.New()
	for _, s := range parts {
		_, _ = io.WriteString(h, s)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// check verifies the signature over encrypt, then the timestamp.
func (c *Crypto) check(p Params, encrypt string) error {
	want := c.Signature(p.Timestamp, p.Nonce, encrypt)
	if subtle.ConstantTimeCompare([]byte(p.Signature), []byte(want)) != 1 {
		return fail(ErrBadSignature, "")
	}
	sec, err := strconv.ParseInt(p.Timestamp, 10, 64)
	if err != nil {
		return fail(ErrBadTimestamp, "")
	}
	// Compare in seconds against now ± the window (both well inside
	// int64), so that a far-off timestamp cannot overflow anything.
	now, limit := c.now().Unix(), int64(c.window/time.Second)
	switch {
	case sec < now-limit:
		return fail(ErrStaleTimestamp, "older than the window")
	case sec > now+limit:
		return fail(ErrStaleTimestamp, "in the future")
	}
	return nil
}

// VerifyURL answers WeCom's URL verification (a GET with msg_signature,
// timestamp, nonce and echostr): it checks the request and returns the
// decrypted echostr, which is the whole answer.
func (c *Crypto) VerifyURL(p Params) ([]byte, error) {
	if p.EchoStr == "" {
		return nil, fail(ErrMissingField, "echostr")
	}
	if err := c.check(p, p.EchoStr); err != nil {
		return nil, err
	}
	return c.Decrypt(p.EchoStr)
}

// envelope is the body WeCom posts: only Encrypt is signed.
type envelope struct {
	XMLName    xml.Name
	ToUserName string `xml:"ToUserName"`
	AgentID    string `xml:"AgentID"`
	Encrypt    string `xml:"Encrypt"`
}

// Open checks a posted callback and returns the decrypted inner XML.
func (c *Crypto) Open(p Params, body []byte) ([]byte, error) {
	if len(body) > 2*MaxEncryptLen {
		return nil, fail(ErrTooLarge, "")
	}
	var env envelope
	if err := xml.Unmarshal(body, &env); err != nil || env.XMLName.Local != "xml" {
		return nil, fail(ErrBadXML, "envelope")
	}
	if env.Encrypt == "" {
		return nil, fail(ErrMissingField, "Encrypt")
	}
	if err := c.check(p, env.Encrypt); err != nil {
		return nil, err
	}
	return c.Decrypt(env.Encrypt)
}

// Receive checks a posted callback, decrypts it and decodes its event.
func (c *Crypto) Receive(p Params, body []byte) (Event, error) {
	msg, err := c.Open(p, body)
	if err != nil {
		return nil, err
	}
	return DecodeEvent(msg)
}

// Decrypt decrypts WeCom's base64 ciphertext, checks the padding, the
// length and the receiveid, and returns the message. It does not check
// a signature: use VerifyURL, Open or Receive for requests.
func (c *Crypto) Decrypt(encrypt string) ([]byte, error) {
	if len(encrypt) > MaxEncryptLen {
		return nil, fail(ErrTooLarge, "")
	}
	ct, err := base64.StdEncoding.DecodeString(encrypt)
	if err != nil {
		return nil, fail(ErrBadBase64, "")
	}
	if len(ct) == 0 || len(ct)%padBlock != 0 {
		return nil, fail(ErrTruncated, fmt.Sprintf("%d bytes", len(ct)))
	}
	pt := make([]byte, len(ct))
	cipher.NewCBCDecrypter(c.block, c.key[:aes.BlockSize]).CryptBlocks(pt, ct)
	n := int(pt[len(pt)-1])
	if n < 1 || n > padBlock {
		return nil, fail(ErrBadPadding, "")
	}
	var bad byte
	for _, b := range pt[len(pt)-n:] {
		bad |= b ^ byte(n)
	}
	if bad != 0 {
		return nil, fail(ErrBadPadding, "")
	}
	pt = pt[:len(pt)-n]
	if len(pt) < 20 {
		return nil, fail(ErrBadLength, "")
	}
	msgLen := uint64(binary.BigEndian.Uint32(pt[16:20]))
	if msgLen > uint64(len(pt)-20) {
		return nil, fail(ErrBadLength, "")
	}
	end := 20 + int(msgLen)
	if rid := pt[end:]; string(rid) != c.receiveID {
		// Name what it was for: a corp id set wrongly in Tierlink reads
		// as this, and only a holder of the key can choose the value.
		return nil, fail(ErrWrongReceiver, "for "+strconv.QuoteToASCII(string(rid[:min(len(rid), 64)])))
	}
	return pt[20:end:end], nil
}

// Sealed is an encrypted message with what WeCom signs it with.
type Sealed struct {
	Encrypt   string // base64 ciphertext
	Signature string // msg_signature
	Timestamp string
	Nonce     string
}

// Params are the URL parameters for s; for URL verification set EchoStr
// to s.Encrypt.
func (s Sealed) Params() Params {
	return Params{Signature: s.Signature, Timestamp: s.Timestamp, Nonce: s.Nonce}
}

type cdata struct {
	Value string `xml:",cdata"`
}

// Envelope is the body WeCom posts to a callback URL carrying s.
func (s Sealed) Envelope(toUserName, agentID string) []byte {
	out, _ := xml.Marshal(struct {
		XMLName    xml.Name `xml:"xml"`
		ToUserName cdata    `xml:"ToUserName"`
		AgentID    cdata    `xml:"AgentID"`
		Encrypt    cdata    `xml:"Encrypt"`
	}{ToUserName: cdata{toUserName}, AgentID: cdata{agentID}, Encrypt: cdata{s.Encrypt}})
	return out
}

// Reply is the body of an encrypted passive reply carrying s.
func (s Sealed) Reply() []byte {
	out, _ := xml.Marshal(struct {
		XMLName      xml.Name `xml:"xml"`
		Encrypt      cdata    `xml:"Encrypt"`
		MsgSignature cdata    `xml:"MsgSignature"`
		TimeStamp    string   `xml:"TimeStamp"`
		Nonce        cdata    `xml:"Nonce"`
	}{Encrypt: cdata{s.Encrypt}, MsgSignature: cdata{s.Signature}, TimeStamp: s.Timestamp, Nonce: cdata{s.Nonce}})
	return out
}

// Encrypt encrypts msg as WeCom does, stamped with the current time and
// a random nonce, and signs it.
func (c *Crypto) Encrypt(msg []byte) (Sealed, error) {
	var rnd [26]byte // 16 random bytes for the plaintext, 10 for the nonce
	if _, err := io.ReadFull(c.rand, rnd[:]); err != nil {
		return Sealed{}, fmt.Errorf("wecom callback: random: %w", err)
	}
	nonce := make([]byte, 10)
	for i, b := range rnd[16:] {
		nonce[i] = '0' + b%10
	}
	return c.seal(msg, rnd[:16], strconv.FormatInt(c.now().Unix(), 10), string(nonce))
}

func (c *Crypto) seal(msg, random []byte, timestamp, nonce string) (Sealed, error) {
	if uint64(len(msg)) > math.MaxUint32 {
		return Sealed{}, errors.New("wecom callback: message too large")
	}
	size := 20 + len(msg) + len(c.receiveID)
	pad := padBlock - size%padBlock
	pt := make([]byte, 0, size+pad)
	pt = append(pt, random[:16]...)
	pt = binary.BigEndian.AppendUint32(pt, uint32(len(msg)))
	pt = append(pt, msg...)
	pt = append(pt, c.receiveID...)
	for range pad {
		pt = append(pt, byte(pad))
	}
	cipher.NewCBCEncrypter(c.block, c.key[:aes.BlockSize]).CryptBlocks(pt, pt)
	enc := base64.StdEncoding.EncodeToString(pt)
	return Sealed{Encrypt: enc, Signature: c.Signature(timestamp, nonce, enc), Timestamp: timestamp, Nonce: nonce}, nil
}
