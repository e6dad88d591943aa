package bridges_test

import (
	"strings"
	"testing"
	"time"

	"github.com/tierlink/tierlink/ent/bridge"
	"github.com/tierlink/tierlink/partners/bridges"
	"github.com/tierlink/tierlink/partners/i18n"
)

// A message cut to a chat's limit ends with the pointer to its whole
// text in the group's language: a Chinese group reads no English.
func TestTruncatedMessagePointsInTheGroupsLanguage(t *testing.T) {
	text := strings.Repeat("刘洋已答复订单。", 2000)
	for _, kind := range []bridge.Kind{bridges.WeCom, bridges.DingTalk, bridges.Feishu, bridges.Slack} {
		r, err := bridges.Format(kind, "https://chat.example/hook", "", bridges.Message{ID: "m1", Title: "华星", Text: strings.Repeat(text, 3),
			Link: "https://t.example/groups/1#post-2", Lang: i18n.Chinese}, time.Unix(1_800_000_000, 0))
		if err != nil {
			t.Fatal(err)
		}
		body := string(r.Body)
		if !strings.Contains(body, "（全文：https://t.example/groups/1#post-2）") || strings.Contains(body, "full text") {
			t.Errorf("%s: the cut message does not end in Chinese: …%s", kind, body[len(body)-120:])
		}
	}
}
