package mail

import "errors"

// ReplyAddress is r's address for replying into group groupID:
// reply+<fields>.<mac>@domain, lower case, the local part at most 64
// characters. (Slice M4.)
func (k Keys) ReplyAddress(domain string, groupID int, r Recipient) string { return "" }

// ParseReplyAddress checks a reply address and returns what it names.
// (Slice M4.)
func (k Keys) ParseReplyAddress(addr string) (groupID, contactID, userID int, err error) {
	return 0, 0, 0, errors.New("mail: reply addresses not built yet")
}
