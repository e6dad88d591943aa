package wecomsim

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"
)

// Hand-overs of external contacts and customer groups (在职继承 and
// 离职继承), as WeCom documents them:
//   - POST /cgi-bin/externalcontact/transfer_customer: handover_userid,
//     takeover_userid, external_userid (1 to 100), transfer_success_msg
//     (at most 200 characters). The answer has one errcode per customer
//     in customer[]: 0 starts the hand-over, which completes 24 hours
//     later; 40096 not an external contact, 40099 the taker's contacts
//     are at their limit, 40128 transferred too often (an on-job
//     member's customer may be transferred at most twice in 90 days),
//     40129 already being transferred, 40130 the same member on both
//     sides, 40131 the handover member does not follow the customer.
//   - POST /cgi-bin/externalcontact/resigned/transfer_customer: the same
//     without transfer_success_msg, for a member who left; 40097 while
//     the member has not left. The 90-day rule is the on-job API's.
//   - POST /cgi-bin/externalcontact/transfer_result and
//     resigned/transfer_result: handover_userid, takeover_userid,
//     cursor; customer[] of {external_userid, status, takeover_time}
//     (status 1 taken over, 2 waiting, 3 refused by the customer, 4 the
//     taker is at their limit), at most 1000 a page, next_cursor.
//   - POST /cgi-bin/externalcontact/groupchat/list: owner_filter,
//     status_filter, cursor, limit (1 to 1000).
//   - POST /cgi-bin/externalcontact/groupchat/transfer (a member who
//     left) and groupchat/onjob_transfer: chat_id_list (1 to 100),
//     new_owner; failed_chat_list of {chat_id, errcode, errmsg}: 90500
//     the owner has not left, 90501 not a customer group, 90502 the
//     owner has left (onjob_transfer).

// Hand-over errcodes, as WeCom documents them.
const (
	ErrInvalidExternalUser = 40096
	ErrNotResigned         = 40097
	ErrTakerAtLimit        = 40099
	ErrTransferTooOften    = 40128
	ErrTransferInProgress  = 40129
	ErrSameMember          = 40130
	ErrNotFollower         = 40131
	ErrGroupOwnerOnJob     = 90500
	ErrNotCustomerGroup    = 90501
	ErrGroupOwnerResigned  = 90502
)

// Transfer statuses (transfer_result's status).
const (
	StatusTakenOver   = 1
	StatusWaiting     = 2
	StatusRefused     = 3
	StatusTakerLimit  = 4
	StatusNoRecord    = 5
	TransferDelay     = 24 * time.Hour
	TransferWindow    = 90 * 24 * time.Hour
	TransfersInWindow = 2
)

func init() {
	for code, msg := range map[int]string{ErrInvalidExternalUser: "invalid external userid", ErrNotResigned: "user not resigned",
		ErrTakerAtLimit: "external contact count reach limit", ErrTransferTooOften: "transfer too often",
		ErrTransferInProgress: "customer is transferring", ErrSameMember: "handover and takeover are the same",
		ErrNotFollower: "handover user is not the follower", ErrGroupOwnerOnJob: "group owner not resigned",
		ErrNotCustomerGroup: "not customer group", ErrGroupOwnerResigned: "group owner resigned"} {
		errMsgs[code] = msg
	}
}

// TransferRecord is one hand-over WeCom accepted.
type TransferRecord struct {
	Resigned       bool
	HandoverUserID string
	TakeoverUserID string
	ExternalUserID string
	Message        string
	Status         int
	RequestedAt    time.Time
	TakeoverTime   time.Time
}

// GroupChat is a customer group and its owner.
type GroupChat struct {
	ChatID string
	Owner  string
	// Internal marks a group with no external member (90501).
	Internal bool
}

type transferSim struct {
	records  []*TransferRecord
	resigned map[string]bool
	limits   map[string]int
	refuse   map[string]bool
	groups   map[string]*GroupChat
	gorder   []string
	pageSize int
}

// transferState holds each server's hand-over state beside it, so this
// file adds the endpoints with one line in New.
var transferState sync.Map // *Server → *transferSim

// xfer returns s's hand-over state; the caller holds s.mu or needs none.
func (s *Server) xfer() *transferSim {
	v, _ := transferState.LoadOrStore(s, &transferSim{resigned: map[string]bool{}, limits: map[string]int{},
		refuse: map[string]bool{}, groups: map[string]*GroupChat{}, pageSize: 1000})
	return v.(*transferSim)
}

func (s *Server) routeTransfer(mux *http.ServeMux) {
	mux.HandleFunc("POST /cgi-bin/externalcontact/transfer_customer", s.authed(func(w http.ResponseWriter, r *http.Request) {
		s.transferCustomer(w, r, false)
	}))
	mux.HandleFunc("POST /cgi-bin/externalcontact/resigned/transfer_customer", s.authed(func(w http.ResponseWriter, r *http.Request) {
		s.transferCustomer(w, r, true)
	}))
	mux.HandleFunc("POST /cgi-bin/externalcontact/transfer_result", s.authed(func(w http.ResponseWriter, r *http.Request) {
		s.transferResult(w, r, false)
	}))
	mux.HandleFunc("POST /cgi-bin/externalcontact/resigned/transfer_result", s.authed(func(w http.ResponseWriter, r *http.Request) {
		s.transferResult(w, r, true)
	}))
	mux.HandleFunc("POST /cgi-bin/externalcontact/groupchat/list", s.authed(s.groupChatList))
	mux.HandleFunc("POST /cgi-bin/externalcontact/groupchat/transfer", s.authed(func(w http.ResponseWriter, r *http.Request) {
		s.groupTransfer(w, r, true)
	}))
	mux.HandleFunc("POST /cgi-bin/externalcontact/groupchat/onjob_transfer", s.authed(func(w http.ResponseWriter, r *http.Request) {
		s.groupTransfer(w, r, false)
	}))
}

// Resign marks a member as having left (离职): resigned hand-overs of
// their customers and groups become possible, on-job ones of their
// groups are refused.
func (s *Server) Resign(userID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.xfer().resigned[userID] = true
}

// SetCustomerLimit caps how many external contacts a member may have: a
// hand-over to a member at the cap is refused (40099), and one that
// would complete past it ends in status 4.
func (s *Server) SetCustomerLimit(userID string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.xfer().limits[userID] = n
}

// RefuseTransfer has the customer refuse a waiting hand-over (暂不添加):
// it ends in status 3 and the customer stays with the handover member.
func (s *Server) RefuseTransfer(externalUserID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	x := s.xfer()
	for _, r := range x.records {
		if r.ExternalUserID == externalUserID && r.Status == StatusWaiting {
			r.Status, r.TakeoverTime = StatusRefused, time.Time{}
		}
	}
}

// ForgetTransfers drops WeCom's records of a customer's hand-overs, as
// when a record WeCom kept is gone: transfer_result no longer lists it.
func (s *Server) ForgetTransfers(externalUserID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	x := s.xfer()
	x.records = slices.DeleteFunc(x.records, func(r *TransferRecord) bool { return r.ExternalUserID == externalUserID })
}

// SetTransferResultPage sets how many customers a transfer_result page
// holds (WeCom: at most 1000), to exercise the cursor.
func (s *Server) SetTransferResultPage(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.xfer().pageSize = n
}

// Transfers returns a copy of every hand-over accepted, oldest first.
func (s *Server) Transfers() []TransferRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.completeLocked()
	var out []TransferRecord
	for _, r := range s.xfer().records {
		out = append(out, *r)
	}
	return out
}

// Followers returns the userids following a contact.
func (s *Server) Followers(externalUserID string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.completeLocked()
	var out []string
	if c := s.contacts[externalUserID]; c != nil {
		for _, f := range c.Follows {
			out = append(out, f.UserID)
		}
	}
	return out
}

// AddGroupChat adds a customer group owned by a member.
func (s *Server) AddGroupChat(g GroupChat) {
	s.mu.Lock()
	defer s.mu.Unlock()
	x := s.xfer()
	if _, ok := x.groups[g.ChatID]; !ok {
		x.gorder = append(x.gorder, g.ChatID)
	}
	x.groups[g.ChatID] = &g
}

// GroupOwner returns a group's owner.
func (s *Server) GroupOwner(chatID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if g := s.xfer().groups[chatID]; g != nil {
		return g.Owner
	}
	return ""
}

// customers counts the contacts a member follows; the caller holds mu.
func (s *Server) customers(userID string) int {
	n := 0
	for _, c := range s.contacts {
		for _, f := range c.Follows {
			if f.UserID == userID {
				n++
			}
		}
	}
	return n
}

// completeLocked completes every waiting hand-over whose 24 hours have
// passed on the simulator's clock: the taker follows the customer in the
// handover member's place, or, at their limit, status 4. The caller
// holds mu.
func (s *Server) completeLocked() {
	x, now := s.xfer(), s.now()
	for _, r := range x.records {
		if r.Status != StatusWaiting || now.Before(r.TakeoverTime) {
			continue
		}
		if lim, ok := x.limits[r.TakeoverUserID]; ok && s.customers(r.TakeoverUserID) >= lim {
			r.Status = StatusTakerLimit
			continue
		}
		r.Status = StatusTakenOver
		c := s.contacts[r.ExternalUserID]
		if c == nil {
			continue
		}
		var moved Follow
		found := false
		c.Follows = slices.DeleteFunc(c.Follows, func(f Follow) bool {
			if f.UserID == r.HandoverUserID {
				moved, found = f, true
				return true
			}
			return false
		})
		if found && !slices.ContainsFunc(c.Follows, func(f Follow) bool { return f.UserID == r.TakeoverUserID }) {
			moved.UserID, moved.CreateTime = r.TakeoverUserID, r.TakeoverTime.Unix()
			c.Follows = append(c.Follows, moved)
		}
	}
}

type transferItem struct {
	ExternalUserID string `json:"external_userid"`
	ErrCode        int    `json:"errcode"`
}

func (s *Server) transferCustomer(w http.ResponseWriter, r *http.Request, resigned bool) {
	var req struct {
		HandoverUserID     string   `json:"handover_userid"`
		TakeoverUserID     string   `json:"takeover_userid"`
		ExternalUserID     []string `json:"external_userid"`
		TransferSuccessMsg string   `json:"transfer_success_msg"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || len(req.ExternalUserID) == 0 ||
		len(req.ExternalUserID) > 100 || len([]rune(req.TransferSuccessMsg)) > 200 {
		writeErr(w, ErrInvalidParameter)
		return
	}
	if s.members[req.HandoverUserID] == nil || s.members[req.TakeoverUserID] == nil {
		writeErr(w, ErrUnknownUser)
		return
	}
	s.completeLocked()
	x, now := s.xfer(), s.now()
	out := make([]transferItem, 0, len(req.ExternalUserID))
	taking := s.customers(req.TakeoverUserID)
	for _, ext := range req.ExternalUserID {
		code := s.transferCode(x, resigned, req.HandoverUserID, req.TakeoverUserID, ext, now, taking)
		if code == 0 {
			msg := req.TransferSuccessMsg
			if resigned {
				msg = ""
			}
			x.records = append(x.records, &TransferRecord{Resigned: resigned, HandoverUserID: req.HandoverUserID,
				TakeoverUserID: req.TakeoverUserID, ExternalUserID: ext, Message: msg, Status: StatusWaiting,
				RequestedAt: now, TakeoverTime: now.Add(TransferDelay)})
			taking++
		}
		out = append(out, transferItem{ExternalUserID: ext, ErrCode: code})
	}
	writeJSON(w, struct {
		errBody
		Customer []transferItem `json:"customer"`
	}{ok(), out})
}

// transferCode is WeCom's answer for one customer of a hand-over request.
func (s *Server) transferCode(x *transferSim, resigned bool, from, to, ext string, now time.Time, taking int) int {
	c := s.contacts[ext]
	switch {
	case c == nil:
		return ErrInvalidExternalUser
	case from == to:
		return ErrSameMember
	case resigned && !x.resigned[from]:
		return ErrNotResigned
	case !slices.ContainsFunc(c.Follows, func(f Follow) bool { return f.UserID == from }):
		return ErrNotFollower
	}
	recent := 0
	for _, r := range x.records {
		if r.ExternalUserID != ext {
			continue
		}
		if r.Status == StatusWaiting {
			return ErrTransferInProgress
		}
		if !r.Resigned && !resigned && now.Sub(r.RequestedAt) < TransferWindow {
			recent++
		}
	}
	if recent >= TransfersInWindow {
		return ErrTransferTooOften
	}
	if lim, ok := x.limits[to]; ok && taking >= lim {
		return ErrTakerAtLimit
	}
	return 0
}

func pageCursor(prefix string, off int) string {
	return base64.RawURLEncoding.EncodeToString([]byte(prefix + ":" + strconv.Itoa(off)))
}

func parsePageCursor(prefix, c string) (int, bool) {
	if c == "" {
		return 0, true
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || len(b) <= len(prefix)+1 || string(b[:len(prefix)+1]) != prefix+":" {
		return 0, false
	}
	n, err := strconv.Atoi(string(b[len(prefix)+1:]))
	return n, err == nil && n >= 0
}

type resultItem struct {
	ExternalUserID string `json:"external_userid"`
	Status         int    `json:"status"`
	TakeoverTime   int64  `json:"takeover_time"`
}

func (s *Server) transferResult(w http.ResponseWriter, r *http.Request, resigned bool) {
	var req struct {
		HandoverUserID string `json:"handover_userid"`
		TakeoverUserID string `json:"takeover_userid"`
		Cursor         string `json:"cursor"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.HandoverUserID == "" || req.TakeoverUserID == "" {
		writeErr(w, ErrInvalidParameter)
		return
	}
	off, okc := parsePageCursor("xfer", req.Cursor)
	if !okc {
		writeErr(w, ErrInvalidParameter)
		return
	}
	s.completeLocked()
	x := s.xfer()
	// The latest record per customer for the pair.
	latest := map[string]*TransferRecord{}
	var order []string
	for _, rec := range x.records {
		if rec.Resigned != resigned || rec.HandoverUserID != req.HandoverUserID || rec.TakeoverUserID != req.TakeoverUserID {
			continue
		}
		if latest[rec.ExternalUserID] == nil {
			order = append(order, rec.ExternalUserID)
		}
		latest[rec.ExternalUserID] = rec
	}
	all := make([]resultItem, 0, len(order))
	for _, ext := range order {
		rec := latest[ext]
		t := int64(0)
		if !rec.TakeoverTime.IsZero() {
			t = rec.TakeoverTime.Unix()
		}
		all = append(all, resultItem{ExternalUserID: ext, Status: rec.Status, TakeoverTime: t})
	}
	end := min(off+x.pageSize, len(all))
	page := []resultItem{}
	if off < len(all) {
		page = all[off:end]
	}
	next := ""
	if end < len(all) {
		next = pageCursor("xfer", end)
	}
	writeJSON(w, struct {
		errBody
		Customer   []resultItem `json:"customer"`
		NextCursor string       `json:"next_cursor"`
	}{ok(), page, next})
}

func (s *Server) groupChatList(w http.ResponseWriter, r *http.Request) {
	var req struct {
		StatusFilter int `json:"status_filter"`
		OwnerFilter  struct {
			UserIDList []string `json:"userid_list"`
		} `json:"owner_filter"`
		Cursor string `json:"cursor"`
		Limit  int    `json:"limit"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Limit < 1 || req.Limit > 1000 {
		writeErr(w, ErrInvalidParameter)
		return
	}
	off, okc := parsePageCursor("chat", req.Cursor)
	if !okc {
		writeErr(w, ErrInvalidParameter)
		return
	}
	type item struct {
		ChatID string `json:"chat_id"`
		Status int    `json:"status"`
	}
	x := s.xfer()
	var all []item
	for _, id := range x.gorder {
		g := x.groups[id]
		if len(req.OwnerFilter.UserIDList) > 0 && !slices.Contains(req.OwnerFilter.UserIDList, g.Owner) {
			continue
		}
		st := 0
		if x.resigned[g.Owner] {
			st = 1 // 离职待继承
		}
		if req.StatusFilter != 0 && req.StatusFilter != st {
			continue
		}
		all = append(all, item{ChatID: id, Status: st})
	}
	end := min(off+req.Limit, len(all))
	page := []item{}
	if off < len(all) {
		page = all[off:end]
	}
	next := ""
	if end < len(all) {
		next = pageCursor("chat", end)
	}
	writeJSON(w, struct {
		errBody
		GroupChatList []item `json:"group_chat_list"`
		NextCursor    string `json:"next_cursor"`
	}{ok(), page, next})
}

type failedChat struct {
	ChatID  string `json:"chat_id"`
	ErrCode int    `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
}

func (s *Server) groupTransfer(w http.ResponseWriter, r *http.Request, resigned bool) {
	var req struct {
		ChatIDList []string `json:"chat_id_list"`
		NewOwner   string   `json:"new_owner"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || len(req.ChatIDList) == 0 || len(req.ChatIDList) > 100 {
		writeErr(w, ErrInvalidParameter)
		return
	}
	if s.members[req.NewOwner] == nil {
		writeErr(w, ErrUnknownUser)
		return
	}
	x := s.xfer()
	failed := []failedChat{}
	fail := func(id string, code int) {
		failed = append(failed, failedChat{ChatID: id, ErrCode: code, ErrMsg: errMsgs[code]})
	}
	for _, id := range req.ChatIDList {
		g := x.groups[id]
		switch {
		case g == nil || g.Internal:
			fail(id, ErrNotCustomerGroup)
		case resigned && !x.resigned[g.Owner]:
			fail(id, ErrGroupOwnerOnJob)
		case !resigned && x.resigned[g.Owner]:
			fail(id, ErrGroupOwnerResigned)
		default:
			g.Owner = req.NewOwner
		}
	}
	writeJSON(w, struct {
		errBody
		FailedChatList []failedChat `json:"failed_chat_list"`
	}{ok(), failed})
}
