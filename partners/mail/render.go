package mail

import (
	"bytes"
	"fmt"
	"html/template"
	"strings"

	"github.com/tierlink/tierlink/partners/i18n"
)

// Render is c's subject, plain text and HTML in lang. The text is the
// alternative every client can show; the HTML carries the same words.
func Render(lang string, c Content) (subject, text, html string, err error) {
	l := i18n.For(lang)
	subject = oneLine(l.Render(c.Subject))
	v := view{Lang: l.Lang(), Title: l.Render(c.Title)}
	if c.ReplyMarker {
		v.Marker = l.T("mail.reply_marker", nil)
	}
	for _, p := range c.Paras {
		v.Paras = append(v.Paras, l.Render(p))
	}
	for _, b := range c.Buttons {
		vb := viewButton{Label: l.Render(b.Label), URL: b.URL}
		if b.URL == LinkPlaceholder {
			// html/template would blank the unknown scheme; the
			// dispatcher swaps in the real (escaped) link at send.
			vb.URL = template.URL(LinkPlaceholder)
		}
		v.Buttons = append(v.Buttons, vb)
	}
	for _, f := range c.Footer {
		v.Footer = append(v.Footer, l.Render(f))
	}
	var t strings.Builder
	if v.Marker != "" {
		t.WriteString(v.Marker + "\n\n")
	}
	t.WriteString(v.Title + "\n\n")
	for _, p := range v.Paras {
		t.WriteString(p + "\n\n")
	}
	for _, b := range v.Buttons {
		fmt.Fprint(&t, b.Label, ": ", b.URL, "\n")
	}
	if len(v.Buttons) > 0 {
		t.WriteString("\n")
	}
	if len(v.Footer) > 0 {
		t.WriteString("-- \n")
		for _, f := range v.Footer {
			t.WriteString(f + "\n")
		}
	}
	var h bytes.Buffer
	if err = layout.Execute(&h, v); err != nil {
		return "", "", "", err
	}
	return subject, t.String(), h.String(), nil
}

type view struct {
	Lang, Title, Marker string
	Paras, Footer       []string
	Buttons             []viewButton
}

// viewButton's URL is a string, sanitized by html/template, or the
// trusted LinkPlaceholder.
type viewButton struct {
	Label string
	URL   any
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// layout is the HTML of every mail: one column, inline styles (mail
// clients drop style sheets), buttons as plain links.
var layout = template.Must(template.New("mail").Parse(`<!DOCTYPE html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>{{.Title}}</title></head>
<body style="margin:0;padding:16px;background:#f5f6f8;font-family:-apple-system,'Segoe UI','PingFang SC','Microsoft YaHei',sans-serif;color:#1f2329;">
{{if .Marker}}<p style="color:#646a73;font-size:12px;margin:0 0 12px">{{.Marker}}</p>{{end}}
<div style="max-width:560px;margin:0 auto;background:#fff;border-radius:8px;padding:20px;">
<h1 style="font-size:18px;margin:0 0 12px">{{.Title}}</h1>
{{range .Paras}}<p style="font-size:15px;line-height:1.5;margin:0 0 12px">{{.}}</p>{{end}}
{{range .Buttons}}<p style="margin:16px 0"><a href="{{.URL}}" style="display:inline-block;padding:12px 20px;background:#1456f0;color:#fff;text-decoration:none;border-radius:6px;font-size:15px">{{.Label}}</a></p>{{end}}
</div>
{{if .Footer}}<div style="max-width:560px;margin:12px auto 0;color:#646a73;font-size:12px;line-height:1.5">{{range .Footer}}<p style="margin:0 0 4px">{{.}}</p>{{end}}</div>{{end}}
</body></html>
`))
