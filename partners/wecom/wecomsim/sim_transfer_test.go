package wecomsim_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/silenceper/wechat/v2/work/externalcontact"

	"github.com/tierlink/tierlink/partners/wecom/wecomsim"
)

// TestSimulatorTransfersWithSDK drives the hand-over endpoints through
// the silenceper SDK only: per-customer errcodes, the 2-in-90-days rule,
// 24 h completion on the clock, refusal, the taker's limit, a resigned
// hand-over of a member still on the job, transfer_result paging, and
// group transfers.
func TestSimulatorTransfersWithSDK(t *testing.T) {
	sim := wecomsim.New("wwsim", "contact-secret")
	defer sim.Close()
	var mu sync.Mutex
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	sim.SetClock(func() time.Time { mu.Lock(); defer mu.Unlock(); return now })
	for _, m := range []string{"a", "b", "c"} {
		sim.AddMember(wecomsim.Member{UserID: m, Follow: true})
	}
	for i := range 12 {
		sim.AddContact(wecomsim.Contact{ExternalUserID: fmt.Sprintf("wm%02d", i), Type: 1,
			Follows: []wecomsim.Follow{{UserID: "a", CreateTime: now.Unix()}}})
	}
	ec := sdkOn(t, sim, "contact-secret").GetExternalContact()
	// Time passes on the simulator's clock; the SDK's token cache keeps
	// real time, so a fresh SDK fetches a token valid on the new clock.
	advance := func(d time.Duration) {
		mu.Lock()
		now = now.Add(d)
		mu.Unlock()
		ec = sdkOn(t, sim, "contact-secret").GetExternalContact()
	}
	move := func(from, to string, ids ...string) map[string]int {
		t.Helper()
		r, err := ec.TransferCustomer(&externalcontact.TransferCustomerRequest{HandoverUserID: from, TakeoverUserID: to,
			ExternalUserID: ids, TransferSuccessMsg: "您好"})
		if err != nil {
			t.Fatalf("transfer_customer: %v", err)
		}
		out := map[string]int{}
		for _, c := range r.Customer {
			out[c.ExternalUserID] = c.ErrCode
		}
		return out
	}

	got := move("a", "b", "wm00", "wm01", "nobody", "wm02")
	if got["wm00"] != 0 || got["nobody"] != wecomsim.ErrInvalidExternalUser {
		t.Fatalf("first hand-over answers %v", got)
	}
	if got := move("a", "c", "wm00"); got["wm00"] != wecomsim.ErrTransferInProgress {
		t.Fatalf("while waiting: %v, want 40129", got)
	}
	if got := move("a", "a", "wm03"); got["wm03"] != wecomsim.ErrSameMember {
		t.Fatalf("same member: %v, want 40130", got)
	}
	if got := move("c", "b", "wm03"); got["wm03"] != wecomsim.ErrNotFollower {
		t.Fatalf("not the follower: %v, want 40131", got)
	}
	// The customer refuses wm01; the others complete after 24 h.
	sim.RefuseTransfer("wm01")
	advance(24 * time.Hour)
	if f := sim.Followers("wm00"); !slices.Equal(f, []string{"b"}) {
		t.Fatalf("wm00 followed by %v after a day", f)
	}
	res, err := ec.TransferResult(&externalcontact.TransferResultRequest{HandoverUserID: "a", TakeoverUserID: "b"})
	if err != nil {
		t.Fatal(err)
	}
	st := map[string]int{}
	for _, c := range res.Customer {
		st[c.ExternalUserID] = c.Status
	}
	if st["wm00"] != wecomsim.StatusTakenOver || st["wm01"] != wecomsim.StatusRefused || st["wm02"] != wecomsim.StatusTakenOver {
		t.Fatalf("statuses %v", st)
	}
	// wm00 back to a (second in 90 days), then a third time: 40128,
	// until 90 days after the first.
	if got := move("b", "a", "wm00"); got["wm00"] != 0 {
		t.Fatalf("second: %v", got)
	}
	advance(24 * time.Hour)
	if got := move("a", "b", "wm00"); got["wm00"] != wecomsim.ErrTransferTooOften {
		t.Fatalf("third in 90 days: %v, want 40128", got)
	}
	advance(88 * 24 * time.Hour)
	if got := move("a", "b", "wm00"); got["wm00"] != 0 {
		t.Fatalf("90 days after the first: %v, want 0", got)
	}
	// The taker's limit: refused at the call once reached.
	sim.SetCustomerLimit("c", 1)
	if got := move("a", "c", "wm04", "wm05"); got["wm04"] != 0 || got["wm05"] != wecomsim.ErrTakerAtLimit {
		t.Fatalf("limit: %v", got)
	}
	// Resigned: refused while the member is on the job, then accepted.
	rr, err := ec.ResignedTransferCustomer(&externalcontact.ResignedTransferCustomerRequest{HandoverUserID: "a", TakeoverUserID: "b",
		ExternalUserID: []string{"wm06"}})
	if err != nil || rr.Customer[0].ErrCode != wecomsim.ErrNotResigned {
		t.Fatalf("resigned while on the job: %+v %v", rr, err)
	}
	sim.Resign("a")
	var ids []string
	for i := 6; i < 12; i++ {
		ids = append(ids, fmt.Sprintf("wm%02d", i))
	}
	rr, err = ec.ResignedTransferCustomer(&externalcontact.ResignedTransferCustomerRequest{HandoverUserID: "a", TakeoverUserID: "b", ExternalUserID: ids})
	if err != nil || len(rr.Customer) != 6 || rr.Customer[0].ErrCode != 0 {
		t.Fatalf("resigned: %+v %v", rr, err)
	}
	// resigned/transfer_result pages with its cursor.
	sim.SetTransferResultPage(4)
	seen, cursor, pages := map[string]bool{}, "", 0
	for {
		r, err := ec.ResignedTransferResult(&externalcontact.ResignedTransferResultRequest{HandoverUserID: "a", TakeoverUserID: "b", Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, c := range r.Customer {
			if c.Status != wecomsim.StatusWaiting || seen[c.ExternalUserID] {
				t.Fatalf("page %d: %+v", pages, c)
			}
			seen[c.ExternalUserID] = true
		}
		if cursor = r.NextCursor; cursor == "" {
			break
		}
	}
	if len(seen) != 6 || pages != 2 {
		t.Fatalf("%d customers over %d pages, want 6 over 2", len(seen), pages)
	}
	// More than 100 customers in one call is refused whole.
	var many []string
	for i := range 101 {
		many = append(many, fmt.Sprintf("x%d", i))
	}
	if _, err := ec.TransferCustomer(&externalcontact.TransferCustomerRequest{HandoverUserID: "b", TakeoverUserID: "c", ExternalUserID: many}); code(err) != wecomsim.ErrInvalidParameter {
		t.Fatalf("101 customers: %v, want 40058", err)
	}
	// Groups: a (resigned) owns g1; b (on the job) owns g2.
	sim.AddGroupChat(wecomsim.GroupChat{ChatID: "g1", Owner: "a"})
	sim.AddGroupChat(wecomsim.GroupChat{ChatID: "g2", Owner: "b"})
	gr, err := ec.GroupChatTransfer(&externalcontact.GroupChatTransferRequest{ChatIDList: []string{"g1", "g2"}, NewOwner: "c"})
	if err != nil || len(gr.FailedChatList) != 1 || gr.FailedChatList[0].ChatID != "g2" || gr.FailedChatList[0].ErrCode != wecomsim.ErrGroupOwnerOnJob {
		t.Fatalf("groupchat/transfer: %+v %v", gr, err)
	}
	og, err := ec.GroupChatOnJobTransfer(&externalcontact.GroupChatOnJobTransferRequest{ChatIDList: []string{"g2"}, NewOwner: "c"})
	if err != nil || len(og.FailedChatList) != 0 || sim.GroupOwner("g1") != "c" || sim.GroupOwner("g2") != "c" {
		t.Fatalf("groupchat/onjob_transfer: %+v %v", og, err)
	}
}
