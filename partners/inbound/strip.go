package inbound

import (
	"regexp"
	"strings"
	"unicode"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Quote and signature stripping. No maintained library does this for
// Chinese clients (forgejo/reply is not on the module proxy; the Go ports
// of talon are English-only and unmaintained), so the rules are ours and
// short enough to read: cut at our own marker, at the first attribution
// line the common clients write (Gmail, Outlook, Apple Mail, QQ Mail,
// 163, Foxmail), drop ">" lines, cut the signature.

var (
	// markers are the line every notification carries above its text
	// ("— Reply above this line —"); matched loosely, since clients quote
	// and re-wrap it.
	markers = []string{"reply above this line", "请在此行以上回复"}

	// attribution lines that open the quoted mail.
	onWrote     = regexp.MustCompile(`(?i)^on\b.*\bwrote:?$`)
	onStart     = regexp.MustCompile(`(?i)^on\s`)
	wroteEnd    = regexp.MustCompile(`(?i)\bwrote:?$`)
	zhWrote     = regexp.MustCompile(`^(在.*|.*于.*)写道[：:]?$`)
	zhStart     = regexp.MustCompile(`^(在|.*于)`)
	zhWroteEnd  = regexp.MustCompile(`写道[：:]?$`)
	original    = regexp.MustCompile(`(?i)^-{2,}\s*(original message|original|原始邮件|原邮件|回复的原邮件|forwarded message|转发的邮件)\s*-{2,}$`)
	underscores = regexp.MustCompile(`^_{5,}$`)
	fromHeader  = regexp.MustCompile(`(?i)^\*?(from|发件人)\*?\s*[:：]`)
	sentHeader  = regexp.MustCompile(`(?i)^\*?(sent|date|发送时间|时间|日期|发送日期)\*?\s*[:：]`)
	toHeader    = regexp.MustCompile(`(?i)^\*?(to|收件人|subject|主题)\*?\s*[:：]`)

	// signOffs are the mobile and webmail footers, looked for in the
	// last lines only.
	signOffs = regexp.MustCompile(`(?i)^(sent from my\b|sent from mail for windows|get outlook for\b|发自我的|从我的.*发送|发自网易邮箱大师|发自网易邮箱|来自.*的邮件|发自\s*(iphone|ipad|android|华为|小米))`)
)

// StripReply returns the new text of a reply: what the person wrote above
// the quoted mail, without their signature. The result is never longer
// than text.
func StripReply(text string) string {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.ReplaceAll(text, "\r", "\n")
	lines := strings.Split(text, "\n")
	lines = lines[:cutAt(lines)]
	kept := lines[:0]
	for _, l := range lines {
		if strings.HasPrefix(strings.TrimLeftFunc(l, unicode.IsSpace), ">") {
			continue
		}
		kept = append(kept, strings.TrimRightFunc(l, unicode.IsSpace))
	}
	kept = cutSignature(kept)
	return strings.TrimSpace(strings.Join(kept, "\n"))
}

// cutAt is the index of the first line of quoted history, or len(lines).
func cutAt(lines []string) int {
	for i, raw := range lines {
		l := clean(raw)
		if l == "" {
			continue
		}
		low := strings.ToLower(l)
		for _, m := range markers {
			if strings.Contains(low, m) {
				// An attribution right above the quoted marker goes too.
				if j := prevNonEmpty(lines, i); j >= 0 && isAttribution(clean(lines[j]), "") {
					return j
				}
				return i
			}
		}
		next := ""
		if j := nextNonEmpty(lines, i); j > 0 {
			next = clean(lines[j])
		}
		if isAttribution(l, next) || original.MatchString(l) {
			return i
		}
		// Outlook: a rule of underscores, then From: and Sent:.
		if underscores.MatchString(l) && fromHeader.MatchString(next) {
			return i
		}
		// Outlook and 163 without the rule: From: followed closely by
		// Sent:/Date: (or To:/Subject:) lines.
		if fromHeader.MatchString(l) && headerBlock(lines, i) {
			return i
		}
	}
	return len(lines)
}

// isAttribution reports "On … wrote:" and "在 … 写道：", also when the
// client wrapped it over two lines (l and next).
func isAttribution(l, next string) bool {
	if strings.HasPrefix(l, ">") {
		return false
	}
	if onWrote.MatchString(l) || zhWrote.MatchString(l) {
		return true
	}
	if next == "" || strings.HasPrefix(next, ">") || len(l)+len(next) > 400 {
		return false
	}
	return (onStart.MatchString(l) && wroteEnd.MatchString(next) && !wroteEnd.MatchString(l)) ||
		(zhStart.MatchString(l) && zhWroteEnd.MatchString(next) && strings.ContainsAny(l, "0123456789年月日"))
}

// headerBlock reports a From: line at i followed within three lines by
// another header of a quoted mail.
func headerBlock(lines []string, i int) bool {
	for j, seen := i+1, 0; j < len(lines) && seen < 3; j++ {
		l := clean(lines[j])
		if l == "" {
			continue
		}
		seen++
		if sentHeader.MatchString(l) || toHeader.MatchString(l) {
			return true
		}
	}
	return false
}

// cutSignature cuts at the "-- " delimiter, or at a sign-off in the last
// five lines that have text.
func cutSignature(lines []string) []string {
	for i, l := range lines {
		if l == "--" || l == "-- " {
			return lines[:i]
		}
	}
	for i, seen := len(lines)-1, 0; i >= 0 && seen < 5; i-- {
		l := clean(lines[i])
		if l == "" {
			continue
		}
		seen++
		if signOffs.MatchString(l) {
			return lines[:i]
		}
	}
	return lines
}

// clean trims a line and the non-breaking and full-width spaces HTML
// conversion and Chinese clients leave.
func clean(l string) string {
	return strings.TrimFunc(l, func(r rune) bool { return unicode.IsSpace(r) || r == '\u00a0' || r == '\u3000' || r == '\ufeff' })
}

func nextNonEmpty(lines []string, i int) int {
	for j := i + 1; j < len(lines); j++ {
		if clean(lines[j]) != "" {
			return j
		}
	}
	return -1
}

func prevNonEmpty(lines []string, i int) int {
	for j := i - 1; j >= 0; j-- {
		if clean(lines[j]) != "" {
			return j
		}
	}
	return -1
}

// HTMLText turns an HTML-only mail into text for StripReply: block
// elements become line breaks; quoted mail the clients mark in HTML
// (blockquote, Gmail's div.gmail_quote, Outlook's #divRplyFwdMsg and
// #appendonsend, QQ Mail's #original-content) ends the text there.
func HTMLText(src string) string {
	doc, err := html.Parse(strings.NewReader(src))
	if err != nil {
		return ""
	}
	var b strings.Builder
	stop := false
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if stop {
			return
		}
		switch n.Type {
		case html.TextNode:
			b.WriteString(strings.Join(strings.FieldsFunc(n.Data, func(r rune) bool { return r == '\n' || r == '\r' || r == '\t' }), " "))
			return
		case html.ElementNode:
			switch n.DataAtom {
			case atom.Script, atom.Style, atom.Head, atom.Title:
				return
			case atom.Blockquote:
				stop = true
				return
			case atom.Br:
				b.WriteByte('\n')
				return
			}
			if quoteStart(n) {
				stop = true
				return
			}
		}
		block := n.Type == html.ElementNode && isBlock(n.DataAtom)
		if block {
			b.WriteByte('\n')
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
		if block {
			b.WriteByte('\n')
		}
	}
	walk(doc)
	return b.String()
}

func quoteStart(n *html.Node) bool {
	for _, a := range n.Attr {
		switch a.Key {
		case "id":
			switch a.Val {
			case "divRplyFwdMsg", "appendonsend", "original-content", "isReplyContent", "reply-content":
				return true
			}
		case "class":
			for _, c := range strings.Fields(a.Val) {
				if c == "gmail_quote" || c == "gmail_extra" || c == "yahoo_quoted" || c == "moz-cite-prefix" {
					return true
				}
			}
		}
	}
	return false
}

func isBlock(a atom.Atom) bool {
	switch a {
	case atom.P, atom.Div, atom.Li, atom.Ul, atom.Ol, atom.Tr, atom.Table, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6,
		atom.Pre, atom.Hr, atom.Section, atom.Article, atom.Header, atom.Footer:
		return true
	}
	return false
}
