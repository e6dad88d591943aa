package inbound

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tierlink/tierlink/partners/i18n"
)

// Replies as the common clients write them, in English and Chinese.
var stripCases = []struct {
	name, in, want string
}{
	{"GmailEnglish", `Thanks, we will ship on Friday.
The packing list follows.

On Thu, Dec 3, 2026 at 9:14 AM Tierlink <reply+g1c2u0.abc@example.com> wrote:
> — Reply above this line —
> Anna mentioned you in PO-1001
`, "Thanks, we will ship on Friday.\nThe packing list follows."},
	{"GmailWrappedAttribution", `Confirmed.

On Thu, Dec 3, 2026 at 9:14 AM Tierlink Purchasing Team <
reply+g1c2u0.abcdefgh@example.com> wrote:

> Please confirm the delivery date.
`, "Confirmed."},
	{"GmailChinese", `好的，周五发货。

在 2026年12月3日周四 09:14，Tierlink <reply+g1c2u0.abc@example.com> 写道：
> —— 请在此行以上回复 ——
> 安娜在 PO-1001 中提到了你
`, "好的，周五发货。"},
	{"OutlookEnglish", "We accept the new date.\r\n\r\nBest regards\r\nLi Wei\r\n\r\n________________________________\r\nFrom: Tierlink <reply+g1c2u0.abc@example.com>\r\nSent: Thursday, December 3, 2026 9:14 AM\r\nTo: Li Wei <li@supplier.cn>\r\nSubject: [Tierlink] PO-1001\r\n\r\n— Reply above this line —\r\n", "We accept the new date.\n\nBest regards\nLi Wei"},
	{"OutlookChinese", "同意新的交期。\r\n\r\n发件人: Tierlink <reply+g1c2u0.abc@example.com>\r\n发送时间: 2026年12月3日 9:14\r\n收件人: 李伟 <li@supplier.cn>\r\n主题: [Tierlink] PO-1001\r\n", "同意新的交期。"},
	{"OutlookMobile", `Approved from the road.

Get Outlook for iOS
________________________________
From: Tierlink <noreply@example.com>
Sent: Thursday, December 3, 2026 9:14:02 AM
`, "Approved from the road."},
	{"AppleMail", `Yes, tomorrow morning.

Sent from my iPhone

> On 3 Dec 2026, at 09:14, Tierlink <reply+g1c2u0.abc@example.com> wrote:
> 
> — Reply above this line —
`, "Yes, tomorrow morning."},
	{"AppleMailChinese", `明天上午到。

发自我的iPhone

> 在 2026年12月3日，09:14，Tierlink <reply+g1c2u0.abc@example.com> 写道：
> 
> —— 请在此行以上回复 ——
`, "明天上午到。"},
	{"QQMail", `收到，马上安排。

------------------ 原始邮件 ------------------
发件人: "Tierlink"<reply+g1c2u0.abc@example.com>;
发送时间: 2026年12月3日(星期四) 上午9:14
收件人: "李伟"<li@supplier.cn>;
主题: [Tierlink] PO-1001
`, "收到，马上安排。"},
	{"QQMailEnglishUI", `Got it.

------------------ Original ------------------
From: "Tierlink"<reply+g1c2u0.abc@example.com>;
Date: Thu, Dec 3, 2026 09:14 AM
`, "Got it."},
	{"NetEase163", `质检报告已附上。

发自网易邮箱大师
---- 回复的原邮件 ----
| 发件人 | Tierlink<reply+g1c2u0.abc@example.com> |
| 日期 | 2026年12月03日 09:14 |
`, "质检报告已附上。"},
	{"NetEase163Web", `请查收附件。
在 2026-12-03 09:14:00，"Tierlink" <reply+g1c2u0.abc@example.com> 写道：
>—— 请在此行以上回复 ——
`, "请查收附件。"},
	{"Foxmail", `已确认。

王芳
--------------
王芳
采购部


From: Tierlink
Date: 2026-12-03 09:14
To: 王芳
Subject: [Tierlink] PO-1001
`, "已确认。\n\n王芳\n--------------\n王芳\n采购部"},
	{"FoxmailChinese", `已确认。

发件人：Tierlink
发送时间：2026-12-03 09:14
收件人：王芳
主题：[Tierlink] PO-1001
`, "已确认。"},
	{"DashSignature", "Shipped today.\n\n-- \nZhang San\nSales, Example Co.\n+86 21 5555 0000\n", "Shipped today."},
	{"InterleavedQuote", "> Can you ship Friday?\nYes.\n> And the certificate?\nAttached.\n", "Yes.\nAttached."},
	{"MarkerOnly", "Fine by me.\n\n— Reply above this line —\nAnna mentioned you\n", "Fine by me."},
	{"NothingNew", "On Thu, Dec 3, 2026 at 9:14 AM Tierlink <x@example.com> wrote:\n> hello\n", ""},
	{"PlainText", "Just a message, nothing quoted.\nOn time as planned.", "Just a message, nothing quoted.\nOn time as planned."},
}

func TestStripReply(t *testing.T) {
	for _, c := range stripCases {
		t.Run(c.name, func(t *testing.T) {
			if got := StripReply(c.in); got != c.want {
				t.Fatalf("got\n%q\nwant\n%q", got, c.want)
			}
		})
	}
}

func TestHTMLText(t *testing.T) {
	for _, c := range []struct{ name, in, want string }{
		{"Gmail", `<div dir="ltr">Thanks, shipping Friday.<br>Li</div><br><div class="gmail_quote"><div class="gmail_attr">On Thu wrote:</div><blockquote>old</blockquote></div>`, "Thanks, shipping Friday.\nLi"},
		{"Outlook", `<html><head><style>p{}</style></head><body><p>We accept.</p><div id="appendonsend"></div><hr><div id="divRplyFwdMsg"><b>From:</b> Tierlink</div><p>old text</p></body></html>`, "We accept."},
		{"QQ", `<div>收到&nbsp;谢谢</div><div><br></div><div id="original-content">------------------ 原始邮件 ------------------</div>`, "收到\u00a0谢谢"},
		{"AppleMail", `<html><body>Yes.<br><br><blockquote type="cite">On 3 Dec wrote:</blockquote></body></html>`, "Yes."},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := StripReply(HTMLText(c.in)); got != c.want {
				t.Fatalf("got %q want %q", got, c.want)
			}
		})
	}
}

func FuzzStripReply(f *testing.F) {
	for _, c := range stripCases {
		f.Add(c.in)
	}
	f.Add("\r\r\n>\n-- \n在于写道：")
	f.Fuzz(func(t *testing.T, in string) {
		out := StripReply(in)
		if len(out) > len(in) {
			t.Fatalf("output longer than input: %q -> %q", in, out)
		}
		if utf8.ValidString(in) && !utf8.ValidString(out) {
			t.Fatalf("invalid UTF-8 out of valid input")
		}
		if strings.Contains(out, "\r") {
			t.Fatalf("carriage return left: %q", out)
		}
		_ = StripReply(HTMLText(in))
	})
}

// Every stored reason reads in both languages.
func TestReasonTexts(t *testing.T) {
	for _, r := range []string{ReasonBadToken, ReasonTooLarge, ReasonMalformed, ReasonTooManyParts, ReasonAutoReply, ReasonSenderMismatch,
		ReasonUserInactive, ReasonEmptyReply, ReasonBodyTooLong, ReasonAttachmentRefused, ReasonAttachmentTooLarge, ReasonPostRefused, ReasonTemporary} {
		for _, lang := range []string{i18n.English, "zh-CN"} {
			m := ReasonText(r)
			if got := i18n.For(lang).Render(m); got == "" || got == m.Key {
				t.Errorf("%s in %s: %q", r, lang, got)
			}
		}
	}
}

// The marker notifications carry is the catalogue's, in both languages;
// stripping must recognise what Render writes, quoted or not.
func TestStripCatalogueMarker(t *testing.T) {
	for _, lang := range []string{i18n.English, "zh-CN"} {
		marker := i18n.For(lang).T("mail.reply_marker", nil)
		for _, in := range []string{"ok\n\n" + marker + "\nold text", "ok\n\n> " + marker + "\n> old text", "ok\n\n>  " + marker} {
			if got := StripReply(in); got != "ok" {
				t.Errorf("%s: %q gave %q", lang, in, got)
			}
		}
	}
}
