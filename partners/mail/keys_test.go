package mail_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/tierlink/tierlink/partners/i18n"
	"github.com/tierlink/tierlink/partners/mail"
)

func TestKeysSignVerify(t *testing.T) {
	k := mail.NewKeys([]byte("0123456789abcdef0123456789abcdef"))
	tok := k.Sign("action", "card", "12", "approve")
	got, err := k.Verify("action", tok)
	if err != nil || strings.Join(got, ",") != "card,12,approve" {
		t.Fatalf("Verify = %v, %v", got, err)
	}
	if _, err := k.Verify("unsubscribe", tok); !errors.Is(err, mail.ErrBadToken) {
		t.Errorf("another purpose: %v, want ErrBadToken", err)
	}
	body, sig, _ := strings.Cut(tok, ".")
	for _, bad := range []string{
		body, "", ".", strings.ToUpper(body[:1]) + body[1:] + "." + sig, body + "x." + sig, body + "." + sig[:len(sig)-1],
		k.Sign("action", "card", "13", "approve")[:len(body)] + "." + sig,
	} {
		if bad == tok {
			continue
		}
		if _, err := k.Verify("action", bad); !errors.Is(err, mail.ErrBadToken) {
			t.Errorf("Verify(%q) = %v, want ErrBadToken", bad, err)
		}
	}
	other := mail.NewKeys([]byte("another key, another install....."))
	if _, err := other.Verify("action", tok); !errors.Is(err, mail.ErrBadToken) {
		t.Errorf("another key: %v, want ErrBadToken", err)
	}
	if _, err := (mail.Keys{}).Verify("action", tok); !errors.Is(err, mail.ErrBadToken) {
		t.Errorf("no key: %v, want ErrBadToken", err)
	}
}

func testContent(url string) mail.Content {
	return mail.Content{
		Subject:     i18n.M("mail.test_subject"),
		Title:       i18n.M("mail.test_title"),
		Paras:       []i18n.Message{i18n.M("mail.test_body").With("Name", "Ada <Admin>").With("Addr", "liu@a.test")},
		Buttons:     []mail.Button{{Label: i18n.M("mail.test_button"), URL: url}},
		Footer:      []i18n.Message{i18n.M("mail.footer_auto")},
		ReplyMarker: true,
	}
}

func TestRenderBothLanguages(t *testing.T) {
	url := "http://127.0.0.1:8080/admin/mail?a=1&b=2"
	cases := []struct{ lang, subject, title, marker, footer, htmlLang string }{
		{"en", "[Tierlink] Test mail", "Mail from Tierlink works", "— Reply above this line —", "This is an automatic message from Tierlink.", `lang="en"`},
		{"zh-CN", "[Tierlink] 测试邮件", "Tierlink 邮件发送正常", "—— 请在此行以上回复 ——", "这是 Tierlink 自动发送的邮件。", `lang="zh-CN"`},
	}
	for _, c := range cases {
		subject, text, html, err := mail.Render(c.lang, testContent(url))
		if err != nil {
			t.Fatal(err)
		}
		if subject != c.subject {
			t.Errorf("%s subject = %q", c.lang, subject)
		}
		if !strings.HasPrefix(text, c.marker+"\n") {
			t.Errorf("%s text does not start with the reply marker:\n%s", c.lang, text)
		}
		for _, w := range []string{c.title, "Ada <Admin>", url, "-- \n" + c.footer} {
			if !strings.Contains(text, w) {
				t.Errorf("%s text lacks %q:\n%s", c.lang, w, text)
			}
		}
		for _, w := range []string{c.htmlLang, c.title, c.marker, c.footer, "Ada &lt;Admin&gt;", `href="http://127.0.0.1:8080/admin/mail?a=1&amp;b=2"`} {
			if !strings.Contains(html, w) {
				t.Errorf("%s HTML lacks %q:\n%s", c.lang, w, html)
			}
		}
		if strings.Contains(html, "<Admin>") {
			t.Errorf("%s HTML does not escape the name", c.lang)
		}
	}
}

// TestRenderKeepsLinkPlaceholder: html/template blanks unknown URL
// schemes (#ZgotmplZ); the placeholder must survive for the dispatcher.
func TestRenderKeepsLinkPlaceholder(t *testing.T) {
	_, text, html, err := mail.Render("en", testContent(mail.LinkPlaceholder))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(html, `href="`+mail.LinkPlaceholder+`"`) || !strings.Contains(text, ": "+mail.LinkPlaceholder+"\n") {
		t.Fatalf("placeholder lost:\n%s\n%s", text, html)
	}
	if _, _, html, _ := mail.Render("en", testContent("javascript:alert(1)")); strings.Contains(html, "javascript:") {
		t.Fatalf("an unsafe URL got through:\n%s", html)
	}
}
