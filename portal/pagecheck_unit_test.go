package portal

import (
	"strings"
	"testing"
)

// The stray-language scan of the page checks: user data, codes and
// allowed words pass; the app's own words in the other language do not,
// even when a stored string is a part of them.
func TestPageCheckStrayText(t *testing.T) {
	data := []string{"Vessel rolled over at Rotterdam", "strategic", "set", "华星精密机械", "周敏 Zhou Min"}
	for _, c := range []struct{ lang, text, want string }{
		{"zh-CN", "设置", ""},
		{"zh-CN", "Settings", "Settings"}, // "set" is data, but not this word
		{"zh-CN", "标签：strategic", ""},
		{"zh-CN", "延误：Vessel rolled over at Rotterdam", ""},
		{"zh-CN", "订单 PO-2026-1101 于 2026-12-03 08:00 UTC+08:00 发布，r2", ""},
		{"zh-CN", "liu.yang@huaxing.example 已答复", ""},
		{"zh-CN", "OTIF 96% · SLA 24 h · 导出 CSV", ""},
		{"zh-CN", "order.create #2", "order create"},
		{"zh-CN", "(1 line(s))", "line"}, // single letters are too short to judge
		{"zh-CN", "@hourly", "hourly"},
		{"zh-CN", "ack-reminders", ""},
		{"zh-CN", "列：partner_code, order_number", ""},
		{"zh-CN", "English", ""},
		{"zh-CN", "周敏 Zhou Min 已发布", ""},
		{"en", "Orders of 华星精密机械", ""},
		{"en", "Status: 已确认", "已确认"},
		{"en", "中文（简体）", ""},
		{"en", "Published by Zhou Min", ""},
	} {
		if got := strayText(c.text, c.lang, data); got != c.want {
			t.Errorf("strayText(%q, %s) = %q, want %q", c.text, c.lang, got, c.want)
		}
	}
}

// Stored JSON counts as user data down to its strings, but in documents
// the application writes, code-like values ("accept") do not.
func TestPageCheckCollectStrings(t *testing.T) {
	seen := map[string]bool{}
	collectStrings(`["strategic","second source"]`, false, seen)
	collectStrings(`{"lines":[{"action":"accept","reason":"铝材到货延迟一周"}]}`, true, seen)
	collectStrings("订单确认 / orders", true, seen)
	for _, want := range []string{"strategic", "second source", "铝材到货延迟一周", "订单确认 / orders", "orders", "订单确认"} {
		if !seen[want] {
			t.Errorf("%q not collected: %v", want, seen)
		}
	}
	if seen["accept"] {
		t.Errorf("a code in an app's JSON counted as user data")
	}
}

// The report puts a problem seen on many pages once, above the pages.
func TestPageCheckReport(t *testing.T) {
	var r pageReport
	for _, p := range []string{"/", "/orders", "/partners", "/groups"} {
		r.add(pageWhere{p, "buyer", "en", "phone"}, "layout: phone header", "header.top", "the header is 120 px tall")
	}
	r.add(pageWhere{"/orders", "buyer", "zh-CN", "desktop"}, "axe label (critical)", "#q", "Form elements must have labels")
	s := r.String()
	if strings.Count(s, "the header is 120 px tall") != 1 || !strings.Contains(s, "on 4 pages") || !strings.Contains(s, "== /orders\n  - [axe label (critical)] at #q") {
		t.Fatalf("report:\n%s", s)
	}
}
