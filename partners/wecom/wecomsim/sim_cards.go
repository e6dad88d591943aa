package wecomsim

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/tierlink/tierlink/partners/wecom/callback"
)

// App messages and template cards, as documented ("发送应用消息",
// "更新模版卡片消息", "模板卡片事件推送"):
//   - POST /cgi-bin/message/send: touser (members separated by "|", at
//     most 1000), msgtype text (text.content, at most 2048 bytes),
//     textcard (title ≤128 bytes, description ≤512 bytes, url required,
//     btntxt ≤4 characters) or template_card; agentid must be the app's.
//     A template_card of card_type button_interaction needs task_id
//     (unique within the app, at most 128 bytes of digits, letters and
//     "_-@"), main_title.title or sub_title_text, and a button_list of 1
//     to 6 buttons, each with text; a callback button (type 0) needs a
//     key of at most 1024 bytes, a link button (type 1) a url. The answer
//     is {errcode, errmsg, invaliduser, msgid, response_code}; members
//     not in the corp are listed in invaliduser, and a message to no
//     valid member answers 81013.
//   - POST /cgi-bin/message/update_template_card: agentid, userids,
//     response_code and button.replace_name (the buttons become one
//     greyed-out label) or a whole template_card. A response_code works
//     once and for 72 hours: a used or an old one answers 40058, its
//     errmsg saying which.
//   - a click (Click): WeCom posts an encrypted template_card_event to
//     the app's callback URL with EventKey, TaskId, CardType,
//     ResponseCode (a fresh one each click), FromUserName and AgentID.
//     A card whose buttons were replaced can no longer be clicked.

// Errcodes of app messages and cards. 40056 (invalid agentid), 40058
// (invalid parameter) and 81013 (no valid receiver) are WeCom's global
// errcodes. WeCom's published lists give no errcode of its own for a used
// or an expired response_code, so the simulator answers both with the
// documented generic 40058 (invalid parameter) and says which in errmsg;
// Tierlink does not tell them apart either: every errcode of
// update_template_card other than the token and frequency ones means
// "this card cannot be updated" to it, and it sends a fresh message
// instead.
const (
	ErrInvalidAgentID      = 40056
	ErrNoValidReceiver     = 81013
	ErrResponseCodeUsed    = ErrInvalidParameter
	ErrResponseCodeExpired = ErrInvalidParameter
	// ResponseCodeLifetime is how long a response_code may update a card.
	ResponseCodeLifetime = 72 * time.Hour
)

func init() {
	errMsgs[ErrInvalidAgentID] = "invalid agentid"
	errMsgs[ErrNoValidReceiver] = "all touser, toparty, totag invalid"
}

// CardButton is one button of a template card.
type CardButton struct {
	Type  int    `json:"type"`
	Text  string `json:"text"`
	Style int    `json:"style,omitempty"`
	Key   string `json:"key,omitempty"`
	URL   string `json:"url,omitempty"`
}

// TemplateCard is the template_card object of message/send, as far as a
// button_interaction card uses it.
type TemplateCard struct {
	CardType string `json:"card_type"`
	Source   *struct {
		Desc string `json:"desc,omitempty"`
	} `json:"source,omitempty"`
	MainTitle *struct {
		Title string `json:"title,omitempty"`
		Desc  string `json:"desc,omitempty"`
	} `json:"main_title,omitempty"`
	SubTitleText          string `json:"sub_title_text,omitempty"`
	HorizontalContentList []struct {
		KeyName string `json:"keyname"`
		Value   string `json:"value,omitempty"`
	} `json:"horizontal_content_list,omitempty"`
	CardAction *struct {
		Type int    `json:"type"`
		URL  string `json:"url,omitempty"`
	} `json:"card_action,omitempty"`
	TaskID     string       `json:"task_id"`
	ButtonList []CardButton `json:"button_list"`
}

// Message is one app message the simulator accepted, to one member.
type Message struct {
	MsgID   string
	ToUser  string
	MsgType string
	// Text is text.content, or a text card's title and description.
	Text string
	Card *TemplateCard
	// Replaced is the greyed-out label update_template_card put in
	// place of the card's buttons ("" while it can still be clicked).
	Replaced string
	SentAt   time.Time
}

type responseCode struct {
	user, task string
	issued     time.Time
	used       bool
}

// cardSim is one simulator's message state, guarded by the server's mu.
type cardSim struct {
	messages []*Message
	tasks    map[string]*Message // task_id → its card
	codes    map[string]*responseCode
	agentID  string
	// where clicks are posted.
	callbackURL string
	crypto      *callback.Crypto
}

var cardsOf sync.Map // *Server → *cardSim

func (s *Server) cards() *cardSim {
	c, _ := cardsOf.LoadOrStore(s, &cardSim{tasks: map[string]*Message{}, codes: map[string]*responseCode{}})
	return c.(*cardSim)
}

func (s *Server) routeCards(mux *http.ServeMux) {
	mux.HandleFunc("POST /cgi-bin/message/send", s.authed(s.messageSend))
	mux.HandleFunc("POST /cgi-bin/message/update_template_card", s.authed(s.updateTemplateCard))
}

// SetApp sets the app's agentid that messages must name, and where its
// callbacks (clicks) are posted, encrypted with c.
func (s *Server) SetApp(agentID, callbackURL string, c *callback.Crypto) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cs := s.cards()
	cs.agentID, cs.callbackURL, cs.crypto = agentID, callbackURL, c
}

// Messages returns the messages sent to a member, oldest first (copies).
func (s *Server) Messages(userID string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, m := range s.cards().messages {
		if m.ToUser == userID {
			out = append(out, *m)
		}
	}
	return out
}

// CardOf returns the card sent with task_id, and whether there is one.
func (s *Server) CardOf(taskID string) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.cards().tasks[taskID]
	if m == nil {
		return Message{}, false
	}
	return *m, true
}

// AgeResponseCodes makes every response_code issued so far d older.
func (s *Server) AgeResponseCodes(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.cards().codes {
		c.issued = c.issued.Add(-d)
	}
}

var taskIDRE = regexp.MustCompile(`^[0-9A-Za-z_\-@]{1,128}$`)

type sendBody struct {
	ToUser   string                    `json:"touser"`
	ToParty  string                    `json:"toparty"`
	ToTag    string                    `json:"totag"`
	MsgType  string                    `json:"msgtype"`
	AgentID  json.RawMessage           `json:"agentid"`
	Text     *struct{ Content string } `json:"text"`
	TextCard *struct {
		Title       string `json:"title"`
		Description string `json:"description"`
		URL         string `json:"url"`
		BtnTxt      string `json:"btntxt"`
	} `json:"textcard"`
	TemplateCard *TemplateCard `json:"template_card"`
}

// agentOK accepts the app's agentid as a number or a numeric string.
func (cs *cardSim) agentOK(raw json.RawMessage) bool {
	v := strings.Trim(string(raw), `"`)
	return v != "" && (cs.agentID == "" || v == cs.agentID)
}

func newCode() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func (s *Server) messageSend(w http.ResponseWriter, r *http.Request) {
	var in sendBody
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&in); err != nil {
		writeErr(w, ErrInvalidParameter)
		return
	}
	cs := s.cards()
	if !cs.agentOK(in.AgentID) {
		writeErr(w, ErrInvalidAgentID)
		return
	}
	if in.ToUser == "" && in.ToParty == "" && in.ToTag == "" {
		writeErr(w, ErrNoValidReceiver)
		return
	}
	var users, invalid []string
	for _, u := range strings.Split(in.ToUser, "|") {
		if u == "" {
			continue
		}
		if s.members[u] == nil {
			invalid = append(invalid, strings.ToLower(u))
			continue
		}
		users = append(users, u)
	}
	if len(users) > 1000 {
		writeErr(w, ErrInvalidParameter)
		return
	}
	if len(users) == 0 {
		writeErr(w, ErrNoValidReceiver)
		return
	}
	base := Message{MsgType: in.MsgType, SentAt: s.now()}
	switch in.MsgType {
	case "text":
		if in.Text == nil || in.Text.Content == "" || len(in.Text.Content) > 2048 {
			writeErr(w, ErrInvalidParameter)
			return
		}
		base.Text = in.Text.Content
	case "textcard":
		c := in.TextCard
		if c == nil || c.Title == "" || len(c.Title) > 128 || c.Description == "" || len(c.Description) > 512 || c.URL == "" ||
			utf8.RuneCountInString(c.BtnTxt) > 4 {
			writeErr(w, ErrInvalidParameter)
			return
		}
		base.Text = c.Title + "\n" + c.Description
	case "template_card":
		c := in.TemplateCard
		if code := checkButtonCard(c); code != 0 {
			writeErr(w, code)
			return
		}
		if cs.tasks[c.TaskID] != nil {
			writeErr(w, ErrInvalidParameter)
			return
		}
		base.Card = c
	default:
		writeErr(w, ErrInvalidParameter)
		return
	}
	msgid := newCode()[:32]
	code := ""
	for _, u := range users {
		m := base
		m.MsgID, m.ToUser = msgid, u
		cs.messages = append(cs.messages, &m)
		if m.Card != nil {
			cs.tasks[m.Card.TaskID] = &m
		}
	}
	if base.Card != nil {
		code = newCode()
		cs.codes[code] = &responseCode{user: strings.Join(users, "|"), task: base.Card.TaskID, issued: s.now()}
	}
	writeJSON(w, struct {
		errBody
		InvalidUser  string `json:"invaliduser"`
		MsgID        string `json:"msgid"`
		ResponseCode string `json:"response_code,omitempty"`
	}{ok(), strings.Join(invalid, "|"), msgid, code})
}

// checkButtonCard checks a button_interaction card's documented required
// fields and limits; 0 when it is fine.
func checkButtonCard(c *TemplateCard) int {
	switch {
	case c == nil, c.CardType != "button_interaction":
		return ErrInvalidParameter
	case !taskIDRE.MatchString(c.TaskID):
		return ErrInvalidParameter
	case (c.MainTitle == nil || c.MainTitle.Title == "") && c.SubTitleText == "":
		return ErrInvalidParameter
	case len(c.ButtonList) == 0 || len(c.ButtonList) > 6, len(c.HorizontalContentList) > 6:
		return ErrInvalidParameter
	}
	for _, b := range c.ButtonList {
		switch {
		case b.Text == "" || utf8.RuneCountInString(b.Text) > 10:
			return ErrInvalidParameter
		case b.Type == 0 && (b.Key == "" || len(b.Key) > 1024):
			return ErrInvalidParameter
		case b.Type == 1 && b.URL == "":
			return ErrInvalidParameter
		case b.Type != 0 && b.Type != 1:
			return ErrInvalidParameter
		}
	}
	return 0
}

type updateBody struct {
	UserIDs      []string        `json:"userids"`
	AgentID      json.RawMessage `json:"agentid"`
	ResponseCode string          `json:"response_code"`
	Button       *struct {
		ReplaceName string `json:"replace_name"`
	} `json:"button"`
	TemplateCard *TemplateCard `json:"template_card"`
}

func (s *Server) updateTemplateCard(w http.ResponseWriter, r *http.Request) {
	var in updateBody
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&in); err != nil {
		writeErr(w, ErrInvalidParameter)
		return
	}
	cs := s.cards()
	if !cs.agentOK(in.AgentID) {
		writeErr(w, ErrInvalidAgentID)
		return
	}
	rc := cs.codes[in.ResponseCode]
	switch {
	case in.ResponseCode == "", rc == nil:
		writeErr(w, ErrInvalidParameter)
		return
	case rc.used:
		writeJSON(w, errBody{ErrCode: ErrResponseCodeUsed, ErrMsg: "invalid response_code: already used, hint: [wecomsim]"})
		return
	case s.now().Sub(rc.issued) > ResponseCodeLifetime:
		writeJSON(w, errBody{ErrCode: ErrResponseCodeExpired, ErrMsg: "invalid response_code: older than 72 hours, hint: [wecomsim]"})
		return
	case (in.Button == nil || in.Button.ReplaceName == "") && in.TemplateCard == nil:
		writeErr(w, ErrInvalidParameter)
		return
	}
	rc.used = true
	card := cs.tasks[rc.task]
	if card != nil {
		if in.Button != nil && in.Button.ReplaceName != "" {
			card.Replaced = in.Button.ReplaceName
		} else {
			card.Card, card.Replaced = in.TemplateCard, "(updated)"
		}
	}
	writeJSON(w, struct {
		errBody
		InvalidUser []string `json:"invaliduser"`
	}{ok(), []string{}})
}

// Click is a member pressing a callback button of the card sent with
// taskID: WeCom posts an encrypted template_card_event to the app's
// callback URL. It returns the click's fresh response_code and the
// callback's HTTP status.
func (s *Server) Click(userID, taskID, key string) (string, int, error) {
	s.mu.Lock()
	cs := s.cards()
	card := cs.tasks[taskID]
	switch {
	case cs.crypto == nil || cs.callbackURL == "":
		s.mu.Unlock()
		return "", 0, errors.New("wecomsim: no callback configured (SetApp)")
	case card == nil || card.ToUser != userID:
		s.mu.Unlock()
		return "", 0, fmt.Errorf("wecomsim: %s has no card %s", userID, taskID)
	case card.Replaced != "":
		s.mu.Unlock()
		return "", 0, fmt.Errorf("wecomsim: card %s shows %q and has no buttons", taskID, card.Replaced)
	}
	found := false
	for _, b := range card.Card.ButtonList {
		found = found || (b.Type == 0 && b.Key == key)
	}
	if !found {
		s.mu.Unlock()
		return "", 0, fmt.Errorf("wecomsim: card %s has no button %q", taskID, key)
	}
	code := newCode()
	cs.codes[code] = &responseCode{user: userID, task: taskID, issued: s.now()}
	ev := &callback.TemplateCardEvent{Header: callback.Header{ToUserName: s.corpID, FromUserName: userID, CreateTime: s.now().Unix(),
		MsgType: "event", Event: string(callback.TypeTemplateCard), AgentID: cs.agentID},
		EventKey: key, TaskID: taskID, CardType: card.Card.CardType, ResponseCode: code}
	crypto, url, agent := cs.crypto, cs.callbackURL, cs.agentID
	s.mu.Unlock()
	status, err := PostEvent(url, crypto, ev, s.corpID, agent)
	return code, status, err
}

// PostEvent posts ev, encrypted and signed with c, to a callback URL as
// WeCom does, and returns the HTTP status.
func PostEvent(callbackURL string, c *callback.Crypto, ev callback.Event, corpID, agentID string) (int, error) {
	msg, err := callback.Marshal(ev)
	if err != nil {
		return 0, err
	}
	sealed, err := c.Encrypt(msg)
	if err != nil {
		return 0, err
	}
	u := callbackURL
	if strings.Contains(u, "?") {
		u += "&"
	} else {
		u += "?"
	}
	u += sealed.Params().Query().Encode()
	resp, err := http.Post(u, "text/xml", bytes.NewReader(sealed.Envelope(corpID, agentID)))
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}
