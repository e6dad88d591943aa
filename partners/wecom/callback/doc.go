// Package callback speaks WeCom's callback protocol (企业微信 回调 加解密方案,
// https://developer.work.weixin.qq.com/document/path/90968): it verifies
// and decrypts what WeCom posts to a self-built app's callback URL, decodes
// the inner XML into typed events, and encrypts in the other direction
// for passive replies and for the WeCom simulator.
//
// The protocol, as documented:
//
//   - msg_signature = hex(sha1(concatenation of the sorted strings token,
//     timestamp, nonce and the encrypted text)); compared in constant time.
//   - AESKey = base64(EncodingAESKey + "="), 32 bytes; AES-256-CBC with
//     IV = AESKey[:16]; PKCS#7 padding to a multiple of 32 bytes (WeCom's
//     block size for padding, not AES's 16).
//   - plaintext = 16 random bytes, the 4-byte big-endian length of msg,
//     msg, then receiveid (the corp id for a self-built app).
//
// On top of the documented checks, a request whose timestamp lies
// outside a window around now (five minutes unless configured) is refused
// as stale, so a captured request cannot be replayed later. Inside the
// window a resend (WeCom resends when an answer is slow) is caught by the
// event's identity, see [Event.Identity]; deduplication on that identity
// is the caller's job, in the database, so all instances agree.
//
// The order of checks is fixed: signature first (a forged request always
// reads "bad signature" and is never decrypted, so there is no padding
// oracle), then the timestamp, then decryption, padding, length and
// receiveid, then the event XML. Every failure is an [*Error] with a
// [Kind] the HTTP layer maps to an answer; nothing is returned on error.
//
// # Why not the SDK's crypto
//
// github.com/silenceper/wechat/v2 (v2.1.10) has util.EncryptMsg,
// util.DecryptMsg and util.Signature, with the right 32-byte padding
// block and a receiveid check. They are not used here because:
// DecryptMsg checks only the last padding byte, not that every padding
// byte holds the padding length; its errors are untyped strings, so a
// wrong receiveid cannot be told from a malformed body; a bad key panics
// inside and is recovered into a string; the SDK's callers compare
// signatures with != rather than in constant time; and there is no
// timestamp check. This package uses only the standard library, and the
// SDK's util functions are its independent cross-check in the tests
// (round trips in both directions), together with the test vector from
// WeCom's own sample code.
package callback
