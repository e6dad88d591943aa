package callback_test

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/tierlink/tierlink/partners/wecom/callback"
)

// The event examples are WeCom's documented ones: change_external_contact
// from 客户联系 › 变更回调 › 事件格式
// (https://developer.work.weixin.qq.com/document/path/92130), the
// template card click from 接收事件 › 模板卡片事件推送
// (https://developer.work.weixin.qq.com/document/path/90240), and
// msg_audit_approved from https://developer.work.weixin.qq.com/document/path/92005.
var documentedEvents = []struct {
	name string
	xml  string
	want callback.Event
}{
	{"AddExternalContact", `<xml>
	<ToUserName><![CDATA[toUser]]></ToUserName>
	<FromUserName><![CDATA[sys]]></FromUserName> 
	<CreateTime>1403610513</CreateTime>
	<MsgType><![CDATA[event]]></MsgType>
	<Event><![CDATA[change_external_contact]]></Event>
	<ChangeType><![CDATA[add_external_contact]]></ChangeType>
	<UserID><![CDATA[zhangsan]]></UserID>
	<ExternalUserID><![CDATA[woAJ2GCAAAXtWyujaWJHDDGi0mAAAA]]></ExternalUserID>
	<State><![CDATA[teststate]]></State>
	<WelcomeCode><![CDATA[WELCOMECODE]]></WelcomeCode>
</xml>`, &callback.ExternalContactChange{Header: contactHeader, ChangeType: callback.AddExternalContact,
		UserID: "zhangsan", ExternalUserID: "woAJ2GCAAAXtWyujaWJHDDGi0mAAAA", State: "teststate", WelcomeCode: "WELCOMECODE"}},
	{"EditExternalContact", `<xml>
	<ToUserName><![CDATA[toUser]]></ToUserName>
	<FromUserName><![CDATA[sys]]></FromUserName> 
	<CreateTime>1403610513</CreateTime>
	<MsgType><![CDATA[event]]></MsgType>
	<Event><![CDATA[change_external_contact]]></Event>
	<ChangeType><![CDATA[edit_external_contact]]></ChangeType>
	<UserID><![CDATA[zhangsan]]></UserID>
	<ExternalUserID><![CDATA[woAJ2GCAAAXtWyujaWJHDDGi0mAAAA]]></ExternalUserID>
</xml>`, &callback.ExternalContactChange{Header: contactHeader, ChangeType: callback.EditExternalContact,
		UserID: "zhangsan", ExternalUserID: "woAJ2GCAAAXtWyujaWJHDDGi0mAAAA"}},
	{"DelExternalContact", `<xml>
	<ToUserName><![CDATA[toUser]]></ToUserName>
	<FromUserName><![CDATA[sys]]></FromUserName> 
	<CreateTime>1403610513</CreateTime>
	<MsgType><![CDATA[event]]></MsgType>
	<Event><![CDATA[change_external_contact]]></Event>
	<ChangeType><![CDATA[del_external_contact]]></ChangeType>
	<UserID><![CDATA[zhangsan]]></UserID>
	<ExternalUserID><![CDATA[woAJ2GCAAAXtWyujaWJHDDGi0mAAAA]]></ExternalUserID>
	<Source><![CDATA[DELETE_BY_TRANSFER]]></Source>
</xml>`, &callback.ExternalContactChange{Header: contactHeader, ChangeType: callback.DelExternalContact,
		UserID: "zhangsan", ExternalUserID: "woAJ2GCAAAXtWyujaWJHDDGi0mAAAA", Source: callback.DeleteByTransfer}},
	{"DelFollowUser", `<xml>
	<ToUserName><![CDATA[toUser]]></ToUserName>
	<FromUserName><![CDATA[sys]]></FromUserName> 
	<CreateTime>1403610513</CreateTime>
	<MsgType><![CDATA[event]]></MsgType>
	<Event><![CDATA[change_external_contact]]></Event>
	<ChangeType><![CDATA[del_follow_user]]></ChangeType>
	<UserID><![CDATA[zhangsan]]></UserID>
	<ExternalUserID><![CDATA[woAJ2GCAAAXtWyujaWJHDDGi0mAAAA]]></ExternalUserID>
</xml>`, &callback.ExternalContactChange{Header: contactHeader, ChangeType: callback.DelFollowUser,
		UserID: "zhangsan", ExternalUserID: "woAJ2GCAAAXtWyujaWJHDDGi0mAAAA"}},
	{"TransferFail", `<xml>
	<ToUserName><![CDATA[toUser]]></ToUserName>
	<FromUserName><![CDATA[sys]]></FromUserName> 
	<CreateTime>1403610513</CreateTime>
	<MsgType><![CDATA[event]]></MsgType>
	<Event><![CDATA[change_external_contact]]></Event>
	<ChangeType><![CDATA[transfer_fail]]></ChangeType>
	<FailReason><![CDATA[customer_refused]]></FailReason>
	<UserID><![CDATA[zhangsan]]></UserID>
	<ExternalUserID><![CDATA[woAJ2GCAAAXtWyujaWJHDDGi0mAAAA]]></ExternalUserID>
</xml>`, &callback.ExternalContactChange{Header: contactHeader, ChangeType: callback.TransferFail,
		UserID: "zhangsan", ExternalUserID: "woAJ2GCAAAXtWyujaWJHDDGi0mAAAA", FailReason: callback.CustomerRefused}},
	{"TemplateCardEvent", `<xml>
<ToUserName><![CDATA[toUser]]></ToUserName>
<FromUserName><![CDATA[FromUser]]></FromUserName>
<CreateTime>123456789</CreateTime>
<MsgType><![CDATA[event]]></MsgType>
<Event><![CDATA[template_card_event]]></Event>
<EventKey><![CDATA[key111]]></EventKey>
<TaskId><![CDATA[taskid111]]></TaskId>
<CardType><![CDATA[text_notice]]></CardType>
<ResponseCode><![CDATA[ResponseCode]]></ResponseCode>
<AgentID>1</AgentID>
<SelectedItems>
    <SelectedItem>
        <QuestionKey><![CDATA[QuestionKey1]]></QuestionKey>
        <OptionIds>
            <OptionId><![CDATA[OptionId1]]></OptionId>
            <OptionId><![CDATA[OptionId2]]></OptionId>
        </OptionIds>
    </SelectedItem>
    <SelectedItem>
        <QuestionKey><![CDATA[QuestionKey2]]></QuestionKey>
        <OptionIds>
            <OptionId><![CDATA[OptionId3]]></OptionId>
            <OptionId><![CDATA[OptionId4]]></OptionId>
        </OptionIds>
    </SelectedItem>
</SelectedItems>
</xml>`, &callback.TemplateCardEvent{Header: callback.Header{ToUserName: "toUser", FromUserName: "FromUser",
		CreateTime: 123456789, MsgType: "event", Event: "template_card_event", AgentID: "1"},
		EventKey: "key111", TaskID: "taskid111", CardType: "text_notice", ResponseCode: "ResponseCode",
		SelectedItems: []callback.SelectedItem{{QuestionKey: "QuestionKey1", OptionIDs: []string{"OptionId1", "OptionId2"}},
			{QuestionKey: "QuestionKey2", OptionIDs: []string{"OptionId3", "OptionId4"}}}}},
	{"ButtonInteractionClick", cardXML, &callback.TemplateCardEvent{Header: callback.Header{ToUserName: testCorpID,
		FromUserName: "wangfang", CreateTime: 1796293900, MsgType: "event", Event: "template_card_event", AgentID: "1000002"},
		EventKey: "approve", TaskID: "cr-42", CardType: "button_interaction", ResponseCode: "rc-1"}},
	{"UnknownChangeType", `<xml>
	<ToUserName><![CDATA[toUser]]></ToUserName>
	<FromUserName><![CDATA[sys]]></FromUserName> 
	<CreateTime>1403610513</CreateTime>
	<MsgType><![CDATA[event]]></MsgType>
	<Event><![CDATA[change_external_contact]]></Event>
	<ChangeType><![CDATA[msg_audit_approved]]></ChangeType>
	<UserID><![CDATA[zhangsan]]></UserID>
	<ExternalUserID><![CDATA[woAJ2GCAAABiuyujaWJHDDGi0mACHAAA]]></ExternalUserID>
	<WelcomeCode><![CDATA[WELCOMECODE]]></WelcomeCode>
</xml>`, &callback.UnknownEvent{Header: contactHeader, ChangeType: "msg_audit_approved"}},
	{"UnknownEvent", `<xml><ToUserName><![CDATA[toUser]]></ToUserName><FromUserName><![CDATA[FromUser]]></FromUserName><CreateTime>1408091189</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[enter_agent]]></Event><EventKey><![CDATA[]]></EventKey><AgentID>1</AgentID></xml>`,
		&callback.UnknownEvent{Header: callback.Header{ToUserName: "toUser", FromUserName: "FromUser", CreateTime: 1408091189,
			MsgType: "event", Event: "enter_agent", AgentID: "1"}}},
}

var contactHeader = callback.Header{ToUserName: "toUser", FromUserName: "sys", CreateTime: 1403610513, MsgType: "event",
	Event: "change_external_contact"}

// Each documented event, encrypted and posted, decodes into its type.
func TestReceiveDocumentedEvents(t *testing.T) {
	c := testCrypto(t)
	for _, tc := range documentedEvents {
		t.Run(tc.name, func(t *testing.T) {
			s, err := c.Encrypt([]byte(tc.xml))
			if err != nil {
				t.Fatal(err)
			}
			ev, err := c.Receive(s.Params(), s.Envelope(testCorpID, "1000002"))
			if err != nil {
				t.Fatal(err)
			}
			if got := callback.WithoutPlaintext(ev); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("decoded\n%#v\nwant\n%#v", got, tc.want)
			}
			if string(ev.Plaintext()) != tc.xml {
				t.Fatal("the plaintext is not kept as received")
			}
			if ev.Type() != tc.want.Type() || !strings.HasPrefix(ev.Identity(), string(ev.Type())+":") {
				t.Fatalf("type %s, identity %s", ev.Type(), ev.Identity())
			}
			// Marshal renders what decodes to the same event, so the
			// simulator can send it.
			out, err := callback.Marshal(ev)
			if err != nil {
				t.Fatal(err)
			}
			again, err := callback.DecodeEvent(out)
			if err != nil {
				t.Fatalf("%s: %v", out, err)
			}
			if !reflect.DeepEqual(callback.WithoutPlaintext(again), tc.want) {
				t.Fatalf("marshalled %s decodes to %#v", out, again)
			}
		})
	}
}

func mustDecode(t *testing.T, x string) callback.Event {
	t.Helper()
	ev, err := callback.DecodeEvent([]byte(x))
	if err != nil {
		t.Fatalf("%s: %v", x, err)
	}
	return ev
}

// A resend has the same identity; a different event has another.
func TestIdentity(t *testing.T) {
	add := documentedEvents[0].xml
	card := cardXML
	same := []struct{ name, a, b string }{
		{"ContactResent", add, add},
		{"ContactReformatted", add, strings.NewReplacer("\n", "", "\t", "").Replace(add)},
		{"ContactOtherWelcomeCode", add, strings.Replace(add, "WELCOMECODE", "OTHER", 1)},
		{"CardResent", card, card},
		{"CardOtherResponseCode", card, strings.Replace(card, "rc-1", "rc-2", 1)},
	}
	for _, tc := range same {
		t.Run("Same"+tc.name, func(t *testing.T) {
			if a, b := mustDecode(t, tc.a).Identity(), mustDecode(t, tc.b).Identity(); a != b {
				t.Fatalf("%s != %s", a, b)
			}
		})
	}
	differ := []struct{ name, a, b string }{
		{"ContactTime", add, strings.Replace(add, "1403610513", "1403610514", 1)},
		{"ContactUser", add, strings.Replace(add, "zhangsan", "lisi", 1)},
		{"ContactExternal", add, strings.Replace(add, "woAJ2GCAAAXtWyujaWJHDDGi0mAAAA", "woAJ2GCAAAXtWyujaWJHDDGi0mAAAB", 1)},
		{"ContactChange", add, documentedEvents[3].xml},
		{"CardTime", card, strings.Replace(card, "1796293900", "1796293901", 1)},
		{"CardWho", card, strings.Replace(card, "wangfang", "lisi", 1)},
		{"CardButton", card, strings.Replace(card, "approve", "reject", 1)},
		{"CardTask", card, strings.Replace(card, "cr-42", "cr-43", 1)},
		// Fields are separated, so moving a character across a boundary
		// changes the identity.
		{"CardBoundary", card, strings.Replace(strings.Replace(card, "[cr-42]", "[cr-4]", 1), "[approve]", "[2approve]", 1)},
		{"Unknown", documentedEvents[8].xml, strings.Replace(documentedEvents[8].xml, "enter_agent", "enter_agent ", 1)},
	}
	for _, tc := range differ {
		t.Run("Differ"+tc.name, func(t *testing.T) {
			if a, b := mustDecode(t, tc.a).Identity(), mustDecode(t, tc.b).Identity(); a == b {
				t.Fatalf("both %s", a)
			}
		})
	}
}

func TestDecodeEventMalformed(t *testing.T) {
	add := documentedEvents[0].xml
	for _, tc := range []struct{ name, xml, field string }{
		{"NoUserID", strings.Replace(add, "<UserID><![CDATA[zhangsan]]></UserID>", "", 1), "UserID"},
		{"NoExternalUserID", strings.Replace(add, "<ExternalUserID><![CDATA[woAJ2GCAAAXtWyujaWJHDDGi0mAAAA]]></ExternalUserID>", "", 1), "ExternalUserID"},
		{"NoCreateTime", strings.Replace(add, "<CreateTime>1403610513</CreateTime>", "", 1), "CreateTime"},
		{"NoFailReason", strings.Replace(documentedEvents[4].xml, "<FailReason><![CDATA[customer_refused]]></FailReason>", "", 1), "FailReason"},
		{"CardNoFrom", strings.Replace(cardXML, "<FromUserName><![CDATA[wangfang]]></FromUserName>", "", 1), "FromUserName"},
		{"CardNoKey", strings.Replace(cardXML, "<EventKey><![CDATA[approve]]></EventKey>", "", 1), "EventKey"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev, err := callback.DecodeEvent([]byte(tc.xml))
			var ce *callback.Error
			if ev != nil || !errors.Is(err, callback.ErrMissingField) || !errors.As(err, &ce) || ce.Detail != tc.field {
				t.Fatalf("DecodeEvent = %v, %v; want missing %s", ev, err, tc.field)
			}
		})
	}
	for _, tc := range []struct{ name, xml string }{
		{"NotXML", "approve"},
		{"Empty", ""},
		{"OtherRoot", strings.Replace(strings.Replace(add, "<xml>", "<root>", 1), "</xml>", "</root>", 1)},
		{"Unclosed", strings.TrimSuffix(add, "</xml>")},
		{"CreateTimeText", strings.Replace(add, "1403610513", "yesterday", 1)},
		{"CreateTimeNegative", strings.Replace(add, "1403610513", "-1", 1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if ev, err := callback.DecodeEvent([]byte(tc.xml)); ev != nil || !errors.Is(err, callback.ErrBadXML) {
				t.Fatalf("DecodeEvent = %v, %v; want bad XML", ev, err)
			}
		})
	}
}

func TestMarshalUnknownIsItsPlaintext(t *testing.T) {
	ev := mustDecode(t, documentedEvents[8].xml)
	out, err := callback.Marshal(ev)
	if err != nil || !bytes.Equal(out, []byte(documentedEvents[8].xml)) {
		t.Fatalf("Marshal = %s, %v", out, err)
	}
}
