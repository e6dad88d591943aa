package callback

import (
	"encoding/xml"
	"fmt"
	"strconv"
)

// eventXML is the shape WeCom sends: strings in CDATA, numbers bare,
// optional fields left out when empty.
type eventXML struct {
	XMLName        xml.Name  `xml:"xml"`
	ToUserName     *cdata    `xml:"ToUserName,omitempty"`
	FromUserName   *cdata    `xml:"FromUserName,omitempty"`
	CreateTime     string    `xml:"CreateTime"`
	MsgType        *cdata    `xml:"MsgType,omitempty"`
	Event          *cdata    `xml:"Event,omitempty"`
	ChangeType     *cdata    `xml:"ChangeType,omitempty"`
	FailReason     *cdata    `xml:"FailReason,omitempty"`
	UserID         *cdata    `xml:"UserID,omitempty"`
	ExternalUserID *cdata    `xml:"ExternalUserID,omitempty"`
	State          *cdata    `xml:"State,omitempty"`
	WelcomeCode    *cdata    `xml:"WelcomeCode,omitempty"`
	Source         *cdata    `xml:"Source,omitempty"`
	EventKey       *cdata    `xml:"EventKey,omitempty"`
	TaskID         *cdata    `xml:"TaskId,omitempty"`
	CardType       *cdata    `xml:"CardType,omitempty"`
	ResponseCode   *cdata    `xml:"ResponseCode,omitempty"`
	AgentID        string    `xml:"AgentID,omitempty"`
	SelectedItems  *selected `xml:"SelectedItems,omitempty"`
}

type selected struct {
	Items []selectedXML `xml:"SelectedItem"`
}

type selectedXML struct {
	QuestionKey *cdata  `xml:"QuestionKey,omitempty"`
	OptionIDs   []cdata `xml:"OptionIds>OptionId"`
}

func cd(s string) *cdata {
	if s == "" {
		return nil
	}
	return &cdata{s}
}

// Marshal renders e as the XML WeCom sends inside a callback, for the
// simulator and for tests. An UnknownEvent renders as its plaintext.
func Marshal(e Event) ([]byte, error) {
	var x eventXML
	head := func(h *Header) {
		x.ToUserName, x.FromUserName, x.MsgType, x.Event = cd(h.ToUserName), cd(h.FromUserName), cd(h.MsgType), cd(h.Event)
		x.CreateTime = strconv.FormatInt(h.CreateTime, 10)
		x.AgentID = h.AgentID
	}
	switch e := e.(type) {
	case *ExternalContactChange:
		head(&e.Header)
		x.ChangeType, x.FailReason = cd(string(e.ChangeType)), cd(string(e.FailReason))
		x.UserID, x.ExternalUserID = cd(e.UserID), cd(e.ExternalUserID)
		x.State, x.WelcomeCode, x.Source = cd(e.State), cd(e.WelcomeCode), cd(e.Source)
	case *TemplateCardEvent:
		head(&e.Header)
		x.EventKey, x.TaskID, x.CardType, x.ResponseCode = cd(e.EventKey), cd(e.TaskID), cd(e.CardType), cd(e.ResponseCode)
		if len(e.SelectedItems) > 0 {
			x.SelectedItems = &selected{}
			for _, it := range e.SelectedItems {
				s := selectedXML{QuestionKey: cd(it.QuestionKey)}
				for _, o := range it.OptionIDs {
					s.OptionIDs = append(s.OptionIDs, cdata{o})
				}
				x.SelectedItems.Items = append(x.SelectedItems.Items, s)
			}
		}
	case *UnknownEvent:
		return e.plaintext, nil
	default:
		return nil, fmt.Errorf("wecom callback: cannot marshal %T", e)
	}
	return xml.Marshal(x)
}
