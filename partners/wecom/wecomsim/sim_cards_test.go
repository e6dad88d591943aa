package wecomsim_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/silenceper/wechat/v2/util"
	"github.com/silenceper/wechat/v2/work/message"

	"github.com/tierlink/tierlink/partners/wecom/callback"
	"github.com/tierlink/tierlink/partners/wecom/wecomsim"
)

const (
	cardToken  = "cardtoken"
	cardAESKey = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
)

// cardMessage is message/send's body for a template card, written here
// from WeCom's documentation (the SDK's Send takes any body).
type cardMessage struct {
	message.SendRequestCommon
	AgentID      int `json:"agentid"`
	TemplateCard any `json:"template_card"`
}

func buttonCard(task string, buttons ...map[string]any) map[string]any {
	bs := []any{}
	for _, b := range buttons {
		bs = append(bs, b)
	}
	return map[string]any{"card_type": "button_interaction", "main_title": map[string]any{"title": "变更请求待审批"},
		"task_id": task, "button_list": bs}
}

// Template cards through the silenceper SDK's message.Send, the update
// through raw HTTP (the SDK lacks update_template_card), and a click
// posted encrypted to a callback server that checks it with the SDK's
// own signature and decryption: the response_code works once and for
// 72 hours, each click brings a fresh one.
func TestSimulatorCardsWithSDK(t *testing.T) {
	sim := wecomsim.New("wwsim", "agent-secret")
	defer sim.Close()
	sim.AddMember(wecomsim.Member{UserID: "wang.fang", Name: "王芳"})
	msg := sdkOn(t, sim, "agent-secret").GetMessage()
	tok, err := msg.GetAccessToken()
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan []byte, 4)
	cb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var env struct {
			Encrypt string `xml:"Encrypt"`
		}
		q := r.URL.Query()
		if err := xml.Unmarshal(body, &env); err != nil ||
			util.Signature(cardToken, q.Get("timestamp"), q.Get("nonce"), env.Encrypt) != q.Get("msg_signature") {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		_, plain, err := util.DecryptMsg("wwsim", env.Encrypt, cardAESKey)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		got <- plain
		_, _ = io.WriteString(w, "success")
	}))
	defer cb.Close()
	cr, err := callback.New(callback.Config{Token: cardToken, EncodingAESKey: cardAESKey, ReceiveID: "wwsim"})
	if err != nil {
		t.Fatal(err)
	}
	sim.SetApp("1000002", cb.URL, cr)
	send := func(to string, card any) (*message.SendResponse, error) {
		return msg.Send("MessageSendTemplateCard", cardMessage{SendRequestCommon: message.SendRequestCommon{ToUser: to, MsgType: "template_card"},
			AgentID: 1000002, TemplateCard: card})
	}
	update := func(code string) int {
		t.Helper()
		body, _ := json.Marshal(map[string]any{"userids": []string{"wang.fang"}, "agentid": 1000002, "response_code": code,
			"button": map[string]string{"replace_name": "已批准 · 王芳 10:32"}})
		resp, err := http.Post(sim.URL()+"/cgi-bin/message/update_template_card?access_token="+tok, "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out struct {
			ErrCode int `json:"errcode"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			t.Fatal(err)
		}
		return out.ErrCode
	}
	approve := map[string]any{"text": "批准", "key": "approve", "style": 1}
	reject := map[string]any{"text": "驳回", "key": "reject", "style": 2}

	var first *message.SendResponse
	t.Run("SendReturnsMsgidAndResponseCode", func(t *testing.T) {
		first, err = send("wang.fang", buttonCard("tl_1_1_a", approve, reject))
		if err != nil || first.MsgID == "" || first.ResponseCode == "" {
			t.Fatalf("send: %+v, %v", first, err)
		}
		if c, ok := sim.CardOf("tl_1_1_a"); !ok || c.ToUser != "wang.fang" || len(c.Card.ButtonList) != 2 {
			t.Fatalf("stored card %+v", c)
		}
	})
	t.Run("ErrRequiredFieldsAndLimits", func(t *testing.T) {
		for name, card := range map[string]any{
			"NoTaskID":      buttonCard("", approve),
			"BadTaskID":     buttonCard("has space", approve),
			"DuplicateTask": buttonCard("tl_1_1_a", approve),
			"NoTitle":       map[string]any{"card_type": "button_interaction", "task_id": "t2", "button_list": []any{approve}},
			"NoButtons":     buttonCard("t3"),
			"SevenButtons":  buttonCard("t4", approve, approve, approve, approve, approve, approve, approve),
			"ButtonNoKey":   buttonCard("t5", map[string]any{"text": "批准"}),
		} {
			if _, err := send("wang.fang", card); code(err) != wecomsim.ErrInvalidParameter {
				t.Errorf("%s: err %v, want 40058", name, err)
			}
		}
		if _, err := send("nobody", buttonCard("t6", approve)); code(err) != wecomsim.ErrNoValidReceiver {
			t.Errorf("unknown member: err %v, want 81013", err)
		}
	})
	t.Run("ClickPostsEncryptedEventWithFreshCode", func(t *testing.T) {
		code1, status, err := sim.Click("wang.fang", "tl_1_1_a", "approve")
		if err != nil || status != http.StatusOK {
			t.Fatalf("click: %d, %v", status, err)
		}
		ev, err := callback.DecodeEvent(<-got)
		if err != nil {
			t.Fatal(err)
		}
		e, ok := ev.(*callback.TemplateCardEvent)
		if !ok || e.FromUserName != "wang.fang" || e.TaskID != "tl_1_1_a" || e.EventKey != "approve" || e.CardType != "button_interaction" ||
			e.ResponseCode != code1 || e.AgentID != "1000002" {
			t.Fatalf("event %+v", ev)
		}
		code2, _, err := sim.Click("wang.fang", "tl_1_1_a", "reject")
		if err != nil || code2 == code1 || code2 == first.ResponseCode {
			t.Fatalf("second click: code %q (first %q), %v", code2, code1, err)
		}
		<-got
		if _, _, err := sim.Click("wang.fang", "tl_1_1_a", "nosuchkey"); err == nil {
			t.Fatal("a key the card lacks was clicked")
		}
	})
	t.Run("ResponseCodeWorksOnce", func(t *testing.T) {
		if c := update(first.ResponseCode); c != 0 {
			t.Fatalf("update: errcode %d", c)
		}
		if c, _ := sim.CardOf("tl_1_1_a"); c.Replaced != "已批准 · 王芳 10:32" {
			t.Fatalf("card after update: %+v", c)
		}
		if c := update(first.ResponseCode); c != wecomsim.ErrResponseCodeUsed {
			t.Fatalf("second use: errcode %d", c)
		}
		if _, _, err := sim.Click("wang.fang", "tl_1_1_a", "approve"); err == nil || !strings.Contains(err.Error(), "no buttons") {
			t.Fatalf("a card without buttons was clicked: %v", err)
		}
	})
	t.Run("ResponseCodeExpiresAfter72Hours", func(t *testing.T) {
		r, err := send("wang.fang", buttonCard("tl_2_1_b", approve))
		if err != nil {
			t.Fatal(err)
		}
		sim.AgeResponseCodes(wecomsim.ResponseCodeLifetime + time.Minute)
		if c := update(r.ResponseCode); c != wecomsim.ErrResponseCodeExpired {
			t.Fatalf("old code: errcode %d", c)
		}
	})
	t.Run("TextMessage", func(t *testing.T) {
		r, err := msg.SendText(message.SendTextRequest{SendRequestCommon: &message.SendRequestCommon{ToUser: "wang.fang", AgentID: "1000002"},
			Text: message.TextField{Content: "已批准 · 王芳 10:32"}})
		if err != nil || r.MsgID == "" || r.ResponseCode != "" {
			t.Fatalf("text: %+v, %v", r, err)
		}
		ms := sim.Messages("wang.fang")
		if last := ms[len(ms)-1]; last.MsgType != "text" || last.Text != "已批准 · 王芳 10:32" {
			t.Fatalf("last message %+v", last)
		}
	})
}
