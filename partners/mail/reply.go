package mail

import (
	"crypto/hmac"
	"encoding/base32"
	"fmt"
	"strconv"
	"strings"
)

// replyPurpose keeps reply-address MACs apart from every other token the
// same key signs.
const replyPurpose = "reply"

// replyMACLen is how many bytes of the HMAC a reply address carries: 80
// bits, 16 base32 letters, so the local part stays under 64 characters
// for any id below ten digits while a forgery still needs 2^80 tries.
const replyMACLen = 10

var replyB32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// ReplyAddress is r's address for replying into group groupID:
// reply+g<group>c<contact>u<user>.<mac>@domain, lower case (mail systems
// may fold the local part), the local part at most 64 characters for ids
// below 10^10. A contact without a login has u0; a staff user c0.
func (k Keys) ReplyAddress(domain string, groupID int, r Recipient) string {
	fields := fmt.Sprintf("g%dc%du%d", groupID, r.ContactID, r.UserID)
	return "reply+" + fields + "." + k.replyMAC(fields) + "@" + strings.ToLower(domain)
}

func (k Keys) replyMAC(fields string) string {
	return strings.ToLower(replyB32.EncodeToString(k.mac(replyPurpose, fields)[:replyMACLen]))
}

// ParseReplyAddress checks a reply address and returns what it names.
// The domain is not checked here (the listener knows which it serves);
// case is ignored. Any malformed or altered address is ErrBadToken.
func (k Keys) ParseReplyAddress(addr string) (groupID, contactID, userID int, err error) {
	addr = strings.ToLower(strings.TrimSpace(strings.Trim(strings.TrimSpace(addr), "<>")))
	at := strings.LastIndexByte(addr, '@')
	if at < 0 || len(k.key) == 0 {
		return 0, 0, 0, ErrBadToken
	}
	local, ok := strings.CutPrefix(addr[:at], "reply+")
	if !ok || len(addr[:at]) > 64 {
		return 0, 0, 0, ErrBadToken
	}
	fields, mac, ok := strings.Cut(local, ".")
	if !ok || !hmac.Equal([]byte(mac), []byte(k.replyMAC(fields))) {
		return 0, 0, 0, ErrBadToken
	}
	ids, ok := replyIDs(fields)
	if !ok || ids[0] <= 0 || (ids[1] <= 0 && ids[2] <= 0) {
		return 0, 0, 0, ErrBadToken
	}
	return ids[0], ids[1], ids[2], nil
}

// replyIDs reads g<n>c<n>u<n>, each a plain decimal without sign or
// leading zero (so one address has one spelling).
func replyIDs(s string) ([3]int, bool) {
	var ids [3]int
	for i, tag := range []byte{'g', 'c', 'u'} {
		if len(s) == 0 || s[0] != tag {
			return ids, false
		}
		s = s[1:]
		n := 0
		for n < len(s) && s[n] >= '0' && s[n] <= '9' {
			n++
		}
		if n == 0 || n > 10 || (n > 1 && s[0] == '0') {
			return ids, false
		}
		v, err := strconv.Atoi(s[:n])
		if err != nil {
			return ids, false
		}
		ids[i], s = v, s[n:]
	}
	return ids, s == ""
}
