package portal

import (
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/tierlink/tierlink/ent/jobrun"
	"github.com/tierlink/tierlink/jobs"
	"github.com/tierlink/tierlink/partners/groups"
	"github.com/tierlink/tierlink/partners/orders"
	"github.com/tierlink/tierlink/partners/partnerstest"
)

// pageIn fetches a page as w in a language and fails on anything but 200.
func (e *env) pageIn(t *testing.T, w who, path, lang string) string {
	t.Helper()
	r := e.req(w, "GET", path, "")
	r.Header.Set("Accept-Language", lang)
	resp := e.do(r)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("%s in %s: %d", path, lang, resp.StatusCode)
	}
	return string(b)
}

// runRow is the run's row of a job page.
func runRow(t *testing.T, page string, id int) string {
	t.Helper()
	mark := `id="run-` + strconv.Itoa(id) + `"`
	i := strings.Index(page, mark)
	if i < 0 {
		t.Fatalf("no row for run %d", id)
	}
	row := page[i:]
	return row[:strings.Index(row, "</tr>")]
}

// A job's run report reads in the reader's language, with real plurals,
// after a real run of the reminders job; the API keeps the English.
func TestJobReportInTheReadersLanguage(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	buyer := e.f.Ctx(e.f.Buyer)
	if _, err := e.f.Groups.Create(buyer, groups.GroupInput{Name: "华星 status", Kind: "partner", PartnerID: e.f.PartnerA.ID,
		ContactIDs: []int{e.f.ContactA.ID}}); err != nil {
		t.Fatal(err)
	}
	// Two orders await acknowledgement; one is past its 24 h SLA.
	for i, number := range []string{"PO-R1", "PO-R2"} {
		o, err := e.f.Orders.Create(buyer, orders.OrderInput{PartnerID: e.f.PartnerA.ID, Direction: "upstream", Number: number, Currency: "CNY",
			Lines: []orders.LineInput{{ItemCode: "X", Quantity: partnerstest.Qty("5"), UnitPrice: 1, RequiredDate: "2027-01-10"}}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.f.Orders.Publish(buyer, o.ID); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			e.f.DB.Client.Order.UpdateOneID(o.ID).SetPublishedAt(time.Now().Add(-30 * time.Hour)).ExecX(e.f.System())
		}
	}
	resp, b := e.call(wAdmin, "POST", "/api/v1/jobs/ack-reminders/run", "")
	if resp.StatusCode != 202 {
		t.Fatalf("run: %d %s", resp.StatusCode, b)
	}
	run := decode[jobs.Run](t, b)
	var d jobs.Detail
	for deadline := time.Now().Add(10 * time.Second); ; {
		_, b = e.call(wAdmin, "GET", "/api/v1/jobs/ack-reminders", "")
		d = decode[jobs.Detail](t, b)
		if len(d.Runs.Items) > 0 && d.Runs.Items[0].ID == run.ID && d.Runs.Items[0].Outcome != "running" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("run did not end: %s", b)
		}
		time.Sleep(20 * time.Millisecond)
	}
	const en = "2 unacknowledged orders checked, 1 reminder or escalation posted"
	const zh = "检查了 2 个未确认的订单，发出 1 条提醒或升级"
	t.Run("StoredWithItsEnglish", func(t *testing.T) {
		row := e.f.DB.Client.JobRun.GetX(e.f.System(), run.ID)
		if row.Outcome != jobrun.OutcomeOk || row.Items != 1 || row.Report != en || !strings.Contains(string(row.Message), `"job_report.ack_reminders"`) {
			t.Fatalf("stored run: %+v message %s", row, row.Message)
		}
	})
	t.Run("APIKeepsTheEnglishReport", func(t *testing.T) {
		if r := d.Runs.Items[0]; r.Report != en {
			t.Errorf("API report %q", r.Report)
		}
		if strings.Contains(string(b), `"message"`) || strings.Contains(string(b), "job_report.") {
			t.Errorf("catalogue keys leak into the API: %s", b)
		}
	})
	for _, c := range []struct{ lang, want, other string }{
		{"zh-CN", zh, en},
		{"en", en, zh},
	} {
		t.Run("Page_"+c.lang, func(t *testing.T) {
			pg := e.pageIn(t, wAdmin, "/admin/jobs/ack-reminders", c.lang)
			t.Log(pg[strings.Index(pg, "<h1>"):strings.Index(pg, "</tbody>")])
			row := runRow(t, pg, run.ID)
			if !strings.Contains(row, ">"+c.want+"</td>") || strings.Contains(row, c.other) || strings.Contains(row, "(s)") {
				t.Errorf("report cell does not read %q:\n%s", c.want, row)
			}
		})
	}
	t.Run("OldRunShowsItsStoredReport", func(t *testing.T) {
		old := e.f.DB.Client.JobRun.Create().SetJob("ack-reminders").SetTick(time.Now().Add(-time.Hour).UTC()).SetTrigger(jobrun.TriggerSchedule).
			SetOutcome(jobrun.OutcomeOk).SetEndedAt(time.Now()).SetReport("3 unacknowledged order(s) checked, 0 reminder(s) or escalation(s) posted").
			SaveX(e.f.System())
		row := runRow(t, e.pageIn(t, wAdmin, "/admin/jobs/ack-reminders", "zh-CN"), old.ID)
		if !strings.Contains(row, ">3 unacknowledged order(s) checked, 0 reminder(s) or escalation(s) posted</td>") {
			t.Errorf("old run's report not shown:\n%s", row)
		}
	})
}

// The cron spec is no longer a tooltip: the list shows words only, a
// job's page shows the spec once, as code, after the words and labelled.
func TestJobPagesShowTheCronSpecAsCode(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	for _, c := range []struct{ lang, words, label string }{
		{"en", "every 5 minutes", "cron:"},
		{"zh-CN", "每 5 分钟", "计划表达式："},
	} {
		t.Run(c.lang, func(t *testing.T) {
			list := e.pageIn(t, wAdmin, "/admin/jobs", c.lang)
			if strings.Contains(list, `title="*/5 * * * *"`) || strings.Contains(list, `title="@hourly"`) || strings.Contains(list, `title="@every 1m"`) {
				t.Errorf("the job list still carries cron specs in title attributes")
			}
			if strings.Contains(list, "*/5 * * * *") || strings.Contains(list, "@hourly") {
				t.Errorf("the job list shows cron specs where words exist")
			}
			page := e.pageIn(t, wAdmin, "/admin/jobs/ack-reminders", c.lang)
			if strings.Contains(page, `title="*/5 * * * *"`) {
				t.Errorf("the job page still carries its spec in a title attribute")
			}
			want := `<span class="schedule">` + c.words + `</span> · ` + c.label + ` <code>*/5 * * * *</code>`
			if !strings.Contains(page, want) || strings.Count(page, "*/5 * * * *") != 1 {
				t.Errorf("job page does not read %q once", want)
			}
		})
	}
}
