package status_test

import (
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/tierlink/tierlink/partners/i18n"
	"github.com/tierlink/tierlink/partners/status"
)

// reads checks a pass's report in English and Chinese.
func reads(t *testing.T, res status.Result, en, zh string) {
	t.Helper()
	if got := i18n.For(i18n.English).RenderLines(res.Message); got != en {
		t.Errorf("English: got %q, want %q", got, en)
	}
	if got := i18n.For(i18n.Chinese).RenderLines(res.Message); got != zh {
		t.Errorf("Chinese: got %q, want %q", got, zh)
	}
}

// A pass reports as catalogue messages, so the run ledger can show it in
// each reader's language, with real plurals rather than "order(s)".
func TestPassReportsAreCatalogueMessages(t *testing.T) {
	t.Run("AckRemindersNothingToCheck", func(t *testing.T) {
		w := newWorld(t, dialect.SQLite, monday)
		res, err := w.Status.AckReminders(w.system, w.clock.now())
		if err != nil {
			t.Fatal(err)
		}
		reads(t, res, "0 unacknowledged orders checked, 0 reminders or escalations posted",
			"检查了 0 个未确认的订单，发出 0 条提醒或升级")
	})
	t.Run("AckRemindersOneAndMany", func(t *testing.T) {
		w := newWorld(t, dialect.SQLite, monday)
		w.order(t, w.PartnerA.ID, "upstream", "PO-7", "2026-12-10") // SLA 24 h by default
		w.clock.add(25 * time.Hour)
		res, err := w.Status.AckReminders(w.system, w.clock.now())
		if err != nil || res.Posted != 1 {
			t.Fatalf("%+v %v", res, err)
		}
		reads(t, res, "1 unacknowledged order checked, 1 reminder or escalation posted",
			"检查了 1 个未确认的订单，发出 1 条提醒或升级")
		w.order(t, w.PartnerA.ID, "upstream", "PO-8", "2026-12-10")
		w.order(t, w.PartnerA.ID, "upstream", "PO-9", "2026-12-10")
		w.clock.add(25 * time.Hour) // PO-7 past twice its SLA, the others past it
		res, err = w.Status.AckReminders(w.system, w.clock.now())
		if err != nil || res.Posted != 3 {
			t.Fatalf("%+v %v", res, err)
		}
		reads(t, res, "3 unacknowledged orders checked, 3 reminders or escalations posted",
			"检查了 3 个未确认的订单，发出 3 条提醒或升级")
	})
	t.Run("StaleShipmentsNoneFound", func(t *testing.T) {
		w := newWorld(t, dialect.SQLite, monday)
		res, err := w.Status.StaleShipments(w.system, w.clock.now())
		if err != nil {
			t.Fatal(err)
		}
		reads(t, res, "0 silent shipments found, 0 update requests posted", "发现 0 个久无更新的在途货件，发出 0 条更新请求")
	})
	t.Run("CertificatesNoneFound", func(t *testing.T) {
		w := newWorld(t, dialect.SQLite, monday)
		res, err := w.Status.CertificateExpiry(w.system, w.clock.now())
		if err != nil {
			t.Fatal(err)
		}
		reads(t, res, "0 certificates expiring within 30 days or lately expired, 0 warnings posted",
			"0 份证书将在 30 天内到期或刚过期，发出 0 条到期提醒")
	})
	t.Run("DigestsNow", func(t *testing.T) {
		w := newWorld(t, dialect.SQLite, monday)
		w.order(t, w.PartnerA.ID, "upstream", "PO-1", "2026-12-10")
		res, err := w.Status.DigestsNow(w.system, w.clock.now())
		if err != nil {
			t.Fatal(err)
		}
		// A has an open order, B and the dealer are on track, Mixed has
		// B's contact.
		reads(t, res,
			`4 groups due: 1 digest with open items, 2 "all on track", 0 quiet, 1 skipped (contacts of another partner), 0 already done elsewhere`,
			"4 个协作群到了摘要时间：1 份含待办事项的摘要，2 份“一切正常”，0 个无事可报未发送，1 个已跳过（含其他合作伙伴的联系人），0 个已由其他实例完成")
	})
}
