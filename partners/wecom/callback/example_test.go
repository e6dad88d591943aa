package callback_test

import (
	"fmt"
	"time"

	"github.com/tierlink/tierlink/partners/wecom/callback"
)

// The simulator side encrypts an event as WeCom would post it; the
// receiving side verifies, decrypts and decodes it, and switches on the
// failure's kind or the event's type.
func Example() {
	now := func() time.Time { return time.Unix(1796293900, 0) }
	cfg := callback.Config{Token: "tierlinkToken", EncodingAESKey: "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
		ReceiveID: "ww1234567890abcdef", Now: now}
	wecom, _ := callback.New(cfg)
	tierlink, _ := callback.New(cfg)

	click := &callback.TemplateCardEvent{
		Header:   callback.Header{ToUserName: "ww1234567890abcdef", FromUserName: "wangfang", CreateTime: 1796293900, MsgType: "event", Event: "template_card_event"},
		EventKey: "approve", TaskID: "cr-42", CardType: "button_interaction", ResponseCode: "rc-1",
	}
	msg, _ := callback.Marshal(click)
	sealed, _ := wecom.Encrypt(msg)
	query, body := sealed.Params().Query(), sealed.Envelope("ww1234567890abcdef", "1000002")

	ev, err := tierlink.Receive(callback.ParamsFromQuery(query), body)
	switch callback.KindOf(err) {
	case callback.KindSignature, callback.KindReceiver:
		fmt.Println("403:", err)
	case callback.KindStale, callback.KindMalformed:
		fmt.Println("400:", err)
	}
	if e, ok := ev.(*callback.TemplateCardEvent); ok {
		fmt.Println(e.FromUserName, e.EventKey, e.TaskID)
	}

	// The same request a minute late for a one-second window.
	late, _ := callback.New(callback.Config{Token: cfg.Token, EncodingAESKey: cfg.EncodingAESKey, ReceiveID: cfg.ReceiveID,
		Window: time.Second, Now: func() time.Time { return now().Add(time.Minute) }})
	_, err = late.Receive(callback.ParamsFromQuery(query), body)
	fmt.Println(err)
	// Output:
	// wangfang approve cr-42
	// wecom callback: stale timestamp (older than the window)
}
