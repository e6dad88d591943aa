package i18n

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Message is a catalogue key with its arguments, kept instead of text so
// it can be rendered later in each reader's language: a feed in the
// viewer's, a chat bridge in the group's.
type Message struct {
	Key string `json:"key"`
	// Count picks the plural form and is the template's {{.Count}}.
	Count *int           `json:"count,omitempty"`
	Args  map[string]Arg `json:"args,omitempty"`
}

// Arg is one argument of a message: literal text (a number, a name), a
// time shown with a catalogue layout, or messages rendered in the same
// language — one, or a list joined the language's way.
type Arg struct {
	Text string `json:"text,omitempty"`
	// Time is shown with the Go layout the catalogue gives under Layout,
	// in the time's own zone.
	Time   *time.Time `json:"time,omitempty"`
	Layout string     `json:"layout,omitempty"`
	Msg    *Message   `json:"msg,omitempty"`
	List   []Message  `json:"list,omitempty"`
}

// M starts a message of key.
func M(key string) Message { return Message{Key: key} }

// N starts a plural message of key for count.
func N(key string, count int) Message { return Message{Key: key, Count: &count} }

// With adds an argument: a string or number as text, a Message, a list
// of Messages, or a Time (see At).
func (m Message) With(name string, v any) Message {
	var a Arg
	switch v := v.(type) {
	case string:
		a.Text = v
	case Message:
		a.Msg = &v
	case []Message:
		a.List = v
	case Arg:
		a = v
	default:
		a.Text = fmt.Sprint(v)
	}
	args := make(map[string]Arg, len(m.Args)+1)
	for k, old := range m.Args {
		args[k] = old
	}
	args[name] = a
	m.Args = args
	return m
}

// At is a time argument shown with the catalogue's layout key.
func At(t time.Time, layout string) Arg { return Arg{Time: &t, Layout: layout} }

// listMax is how many items a list names before saying how many more.
const listMax = 5

// Render is m's text in l's language.
func (l *Localizer) Render(m Message) string {
	data := make(map[string]any, len(m.Args)+1)
	for k, a := range m.Args {
		data[k] = l.arg(a)
	}
	if m.Count != nil {
		return l.N(m.Key, *m.Count, data)
	}
	return l.T(m.Key, data)
}

func (l *Localizer) arg(a Arg) string {
	switch {
	case a.Msg != nil:
		return l.Render(*a.Msg)
	case a.List != nil:
		items := make([]string, 0, min(len(a.List), listMax))
		for _, m := range a.List[:min(len(a.List), listMax)] {
			items = append(items, l.Render(m))
		}
		s := strings.Join(items, l.T("list.separator", nil))
		if more := len(a.List) - listMax; more > 0 {
			s = l.N("list.more", more, map[string]any{"Items": s})
		}
		return s
	case a.Time != nil:
		return a.Time.Format(l.T(a.Layout, nil))
	}
	return a.Text
}

// Lines is a text of several lines, each a message: a digest, a warning
// with a note.
type Lines []Message

// RenderLines is the lines' text in l's language, one message a line.
func (l *Localizer) RenderLines(ls Lines) string {
	out := make([]string, len(ls))
	for i, m := range ls {
		out[i] = l.Render(m)
	}
	return strings.Join(out, "\n")
}

// DecodeLines reads lines stored as JSON; empty input is no lines.
func DecodeLines(raw []byte) (Lines, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var ls Lines
	if err := json.Unmarshal(raw, &ls); err != nil {
		return nil, fmt.Errorf("stored message: %w", err)
	}
	return ls, nil
}
