package bridges_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/tierlink/tierlink/ent/bridge"
	"github.com/tierlink/tierlink/partners/bridges"
	"github.com/tierlink/tierlink/partners/i18n"
)

// The bridge's own words are in the group's language.
func TestFormatSpeaksTheGroupsLanguage(t *testing.T) {
	cases := []struct {
		name       string
		kind       bridge.Kind
		lang, want string
	}{
		{"WeComChinese", bridges.WeCom, i18n.Chinese, "[查看](https://t/x)"},
		{"WeComEnglish", bridges.WeCom, i18n.English, "[Open](https://t/x)"},
		{"SlackChinese", bridges.Slack, i18n.Chinese, "<https://t/x|在 Tierlink 中查看>"},
		{"SlackEnglish", bridges.Slack, i18n.English, "<https://t/x|Open in Tierlink>"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := bridges.Format(c.kind, "https://example.test/hook", "", bridges.Message{Title: "G", Text: "t", Link: "https://t/x", Lang: c.lang}, now)
			if err != nil {
				t.Fatal(err)
			}
			// Decoded, so the JSON escapes of < and > do not matter.
			if got := fmt.Sprint(decode(t, r.Body)); !strings.Contains(got, c.want) {
				t.Errorf("body %s lacks %q", r.Body, c.want)
			}
		})
	}
}
