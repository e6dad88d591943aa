package wecom_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/tierlink/tierlink/partners/accounts"
	"github.com/tierlink/tierlink/partners/partnerstest"
	"github.com/tierlink/tierlink/partners/wecom"
	"github.com/tierlink/tierlink/partners/wecom/wecomsim"
)

// WeCom's published base frequency limits (基础频率): each cgi/api at
// most 10,000 calls a minute and 150,000 an hour per corp (20,000 and
// 600,000 per IP); a corp over a minute's limit is blocked for 60
// seconds, over an hour's for 60 minutes. Source: 访问频率限制,
// https://developer.work.weixin.qq.com/document/path/90454 (updated
// 2023-08-28); see docs/benchmarks.md.
const (
	corpPerMinute = 10000
	corpPerHour   = 150000
)

// limitFloor is the least time WeCom's per-corp limits allow for calls
// calls to one API made one after another from the start of a minute
// and an hour window: every full minute's (hour's) quota used up costs a
// 60-second (60-minute) block before the next call goes through.
func limitFloor(calls int) time.Duration {
	if calls <= 0 {
		return 0
	}
	minutes := time.Duration((calls-1)/corpPerMinute) * time.Minute
	hours := time.Duration((calls-1)/corpPerHour) * time.Hour
	return max(minutes, hours)
}

// benchSyncContacts is the size of the benchmark's company.
const benchSyncContacts = 100_000

// BenchmarkSync100k syncs 100,000 external contacts of 50 members (every
// tenth followed by a second member: 110,000 entries, 1,100 pages of
// 100) from the simulator into a fresh SQLite database: the mirror, the
// partner match, the owner pick and the directory link, as the
// wecom-sync job does. It reports the wall time on loopback, the calls
// each WeCom API received, and the time the same sync would take under
// WeCom's published per-corp limits (the larger of the wall time and
// the least time the limits allow for the busiest API's calls).
func BenchmarkSync100k(b *testing.B) {
	const members, linked = 50, 45
	var wall, ref time.Duration
	var res wecom.SyncResult
	var calls map[string]int
	for range b.N {
		b.StopTimer()
		f := partnerstest.New(b, dialect.SQLite)
		sim := wecomsim.New(corpID, contactSecret, agentSecret)
		for i := range members {
			uid := fmt.Sprintf("u%02d", i)
			sim.AddMember(wecomsim.Member{UserID: uid, Name: "Member " + uid, Email: uid + "@co.test", Follow: true})
			if i < linked {
				if _, err := f.Acc.CreateUser(f.System(), accounts.UserInput{Email: uid + "@co.test", Name: "Buyer " + uid,
					Role: "buyer", Password: partnerstest.Password}); err != nil {
					b.Fatal(err)
				}
			}
		}
		base := time.Date(2025, 1, 5, 9, 0, 0, 0, time.UTC)
		for i := range benchSyncContacts {
			c := wecomsim.Contact{ExternalUserID: fmt.Sprintf("wmBENCH%07d", i), Name: fmt.Sprintf("联系人%d", i), Type: 2,
				Position: "销售经理", Follows: []wecomsim.Follow{{UserID: fmt.Sprintf("u%02d", i%members),
					CreateTime: base.Add(time.Duration(i) * time.Second).Unix(), Remark: fmt.Sprintf("备注%d", i)}}}
			switch i % 4 {
			case 0:
				c.CorpFullName = f.PartnerA.Name
			case 1:
				c.CorpName = f.PartnerB.Name
			case 2:
				c.CorpName = "Unknown Trading"
			case 3:
				c.Type = 1
			}
			if i%10 == 0 {
				c.Follows = append(c.Follows, wecomsim.Follow{UserID: fmt.Sprintf("u%02d", (i+7)%members),
					CreateTime: base.Add(time.Duration(i)*time.Second - time.Hour).Unix()})
			}
			sim.AddContact(c)
		}
		api, err := wecom.NewClient(wecom.Config{CorpID: corpID, ContactSecret: contactSecret, AgentSecret: agentSecret,
			AgentID: "1000002", APIBase: sim.URL()}, f.DB.Client, nil)
		if err != nil {
			b.Fatal(err)
		}
		svc := wecom.NewService(f.DB.Client, api, f.Dir, nil)
		b.StartTimer()
		start := time.Now()
		res, err = svc.Sync(f.System())
		if err != nil {
			b.Fatal(err)
		}
		wall += time.Since(start)
		b.StopTimer()
		if res.Created != benchSyncContacts || res.Pages != benchSyncContacts*11/1000 || res.Entries != benchSyncContacts*11/10 {
			b.Fatalf("sync: %s", res.Report())
		}
		calls = map[string]int{}
		for _, p := range []string{tokenPath, "/cgi-bin/externalcontact/get_follow_user_list", batchPath,
			"/cgi-bin/externalcontact/get_corp_tag_list", "/cgi-bin/user/get"} {
			calls[p] = sim.Calls(p)
		}
		// The reference: the same pages read by a bare HTTP loop that
		// stores nothing, against the same simulator.
		start = time.Now()
		if got := readAllPages(b, sim, members); got != benchSyncContacts*11/10 {
			b.Fatalf("the bare loop read %d entries", got)
		}
		ref += time.Since(start)
		sim.Close()
		b.StartTimer()
	}
	wall /= time.Duration(b.N)
	ref /= time.Duration(b.N)
	var floor time.Duration
	total := 0
	for _, n := range calls {
		floor = max(floor, limitFloor(n))
		total += n
	}
	b.ReportMetric(wall.Seconds(), "s")
	b.ReportMetric(ref.Seconds(), "ref_s")
	b.ReportMetric(100*wall.Seconds()/ref.Seconds(), "%_of_ref")
	b.ReportMetric(float64(benchSyncContacts)/wall.Seconds(), "contacts/s")
	b.ReportMetric(float64(calls[batchPath]), "pages")
	b.ReportMetric(float64(total), "api_calls")
	b.ReportMetric(max(wall, floor).Seconds(), "at_limits_s")
	// The share of one hour's per-corp quota of the busiest API one
	// sync uses: how often it could run before the limits bind.
	b.ReportMetric(math.Round(1000*float64(calls[batchPath])/corpPerHour)/10, "%_hour_quota")
	b.Logf("%s; calls %v; the limits allow these calls in %v at least", res.Report(), calls, floor)
}

func TestLimitFloor(t *testing.T) {
	for _, tc := range []struct {
		calls int
		want  time.Duration
	}{{0, 0}, {1, 0}, {10000, 0}, {10001, time.Minute}, {30000, 2 * time.Minute}, {150001, time.Hour}} {
		if got := limitFloor(tc.calls); got != tc.want {
			t.Errorf("limitFloor(%d) = %v, want %v", tc.calls, got, tc.want)
		}
	}
}

// readAllPages pages through batch/get_by_user for every member with
// plain HTTP calls and returns how many entries it read.
func readAllPages(b *testing.B, sim *wecomsim.Server, members int) int {
	b.Helper()
	resp, err := http.Get(sim.URL() + tokenPath + "?corpid=" + corpID + "&corpsecret=" + contactSecret)
	if err != nil {
		b.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	err = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	if err != nil {
		b.Fatal(err)
	}
	var ids []string
	for i := range members {
		ids = append(ids, fmt.Sprintf("u%02d", i))
	}
	n, cursor := 0, ""
	for {
		body, _ := json.Marshal(map[string]any{"userid_list": ids, "cursor": cursor, "limit": 100})
		resp, err := http.Post(sim.URL()+batchPath+"?access_token="+tok.AccessToken, "application/json", bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		var page struct {
			ErrCode int               `json:"errcode"`
			List    []json.RawMessage `json:"external_contact_list"`
			Next    string            `json:"next_cursor"`
		}
		err = json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		if err != nil || page.ErrCode != 0 {
			b.Fatalf("page: %v, errcode %d", err, page.ErrCode)
		}
		n += len(page.List)
		if page.Next == "" {
			return n
		}
		cursor = page.Next
	}
}
