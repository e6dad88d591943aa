package portal

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
)

// axeRunJS runs axe-core (loaded into every document of the walk's tabs)
// with the WCAG 2.0 A/AA and 2.1 AA rules and keeps only the violations
// a person is stopped by: impact serious or critical.
const axeRunJS = `(async () => {
  if (!window.axe) return JSON.stringify([{id: "axe-missing", impact: "critical", help: "axe-core was not loaded into the page", nodes: []}]);
  const r = await axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21aa"]}, resultTypes: ["violations"]});
  return JSON.stringify(r.violations.filter(v => v.impact === "serious" || v.impact === "critical").map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 8).map(n => ({target: n.target.join(" "), summary: (n.failureSummary || "").replace(/\s+/g, " ").slice(0, 240)})),
    more: Math.max(0, v.nodes.length - 8),
  })));
})()`

// probeJS measures the page's layout and collects its text. %v is
// whether the viewport is a phone's.
//
// Text overflow: for every rendered, non-empty text node, the box of its
// glyphs (a Range's client rects) is compared with the padding box of
// each block-level ancestor, from the nearest outwards, up to the first
// scroll container (overflow auto/scroll: scrolling there is meant), the
// first absolutely or fixed positioned box (it leaves the flow on
// purpose, a menu say) or the body. Text past a box's edge, by more than
// 2 px sideways or a quarter of the font size plus 2 px up or down
// (glyphs may outgrow a tight line-height), is text the box does not
// hold: cut off when the box clips, spilling over its neighbours when it
// does not. Measuring the glyphs, not scrollWidth, catches text in
// inline children (a link in a table cell) and text a box with
// overflow: hidden cuts, and ignores boxes that only hold other boxes.
// Left out: visually hidden text (clip, clip-path or a box of at most
// 1 px: for screen readers), text truncated on purpose with
// text-overflow: ellipsis, form controls' own text, and chart text,
// which is measured against its SVG instead.
//
// Target size, phone only: every visible link, button, input, select,
// textarea, summary and [role=button] at least 40 px tall (and wide when
// it shows no text, an icon). A checkbox or radio counts with its label,
// which is what a thumb hits. Exempt, as in WCAG 2.5.8: links inline in
// running text (the block around the link holds other text).
const probeJS = `(() => {
  const phone = %v;
  const de = document.documentElement;
  const out = {lang: de.lang, title: document.title, sw: de.scrollWidth, cw: de.clientWidth, iw: innerWidth,
    header: null, overflow: [], targets: [], texts: []};
  const sel = (el) => {
    const parts = [];
    for (let e = el; e && e.nodeType === 1 && e !== de && parts.length < 4; e = e.parentElement) {
      if (e.id) { parts.unshift(e.localName + "#" + CSS.escape(e.id)); break; }
      let s = e.localName + [...e.classList].slice(0, 2).map(c => "." + CSS.escape(c)).join("");
      const p = e.parentElement;
      if (p && e.localName !== "body") {
        const same = [...p.children].filter(c => c.localName === e.localName);
        if (same.length > 1) s += ":nth-of-type(" + (same.indexOf(e) + 1) + ")";
      }
      parts.unshift(s);
    }
    return parts.join(" > ");
  };
  const snip = (s) => (s || "").replace(/\s+/g, " ").trim().slice(0, 80);
  // Hidden: not rendered, invisible, visually hidden for screen
  // readers, or the body of a closed <details> (which Chromium lays out
  // but does not show).
  const hidden = (el) => {
    for (let e = el, prev = null; e && e !== de; prev = e, e = e.parentElement) {
      if (e.localName === "details" && !e.open && !(prev && prev.localName === "summary")) return true;
      const cs = getComputedStyle(e);
      if (cs.display === "none" || cs.visibility === "hidden") return true;
      if ((cs.clip && cs.clip !== "auto") || (cs.clipPath && cs.clipPath !== "none")) return true;
      const r = e.getBoundingClientRect();
      if ((r.width <= 1 || r.height <= 1) && cs.overflow !== "visible") return true;
    }
    return false;
  };
  const hdr = document.querySelector("body > header, header.top, [role=banner]");
  if (hdr) out.header = {sel: sel(hdr), h: Math.round(hdr.getBoundingClientRect().height)};

  // Text outside its box.
  const inlineLike = new Set(["inline", "contents", "table-row", "table-row-group", "table-header-group", "table-footer-group", "table-column", "table-column-group"]);
  const seenBox = new Set();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n; (n = walker.nextNode()); ) {
    if (!n.data.trim()) continue;
    const p = n.parentElement;
    if (!p || p.closest("script,style,noscript,template,select,option,textarea,svg,button,input")) continue;
    const range = document.createRange();
    range.selectNodeContents(n);
    const rs = [...range.getClientRects()].filter(r => r.width > 0 && r.height > 0);
    if (!rs.length || hidden(p)) continue;
    const tr = {l: Math.min(...rs.map(r => r.left)), r: Math.max(...rs.map(r => r.right)), t: Math.min(...rs.map(r => r.top)), b: Math.max(...rs.map(r => r.bottom))};
    const slackY = 2 + 0.25 * (parseFloat(getComputedStyle(p).fontSize) || 16);
    for (let e = p; e && e !== document.body && e !== de; e = e.parentElement) {
      const cs = getComputedStyle(e);
      const positioned = cs.position === "absolute" || cs.position === "fixed";
      if (inlineLike.has(cs.display) && !positioned) continue;
      const sx = cs.overflowX === "auto" || cs.overflowX === "scroll";
      const sy = cs.overflowY === "auto" || cs.overflowY === "scroll";
      const b = e.getBoundingClientRect();
      const left = b.left + e.clientLeft, top = b.top + e.clientTop;
      const right = left + e.clientWidth, bottom = top + e.clientHeight;
      const ellipsis = cs.textOverflow === "ellipsis" && cs.overflowX !== "visible";
      const how = [];
      if (!sx && !ellipsis && (tr.r > right + 2 || tr.l < left - 2)) how.push("sideways by " + Math.round(Math.max(tr.r - right, left - tr.l)) + " px");
      if (!sy && cs.webkitLineClamp === "none" && (tr.b > bottom + slackY || tr.t < top - slackY)) how.push("down/up by " + Math.round(Math.max(tr.b - bottom, top - tr.t)) + " px");
      if (how.length) {
        const s = sel(e);
        if (!seenBox.has(s)) {
          seenBox.add(s);
          out.overflow.push({sel: s, text: snip(n.data), how: how.join(", "), box: Math.round(e.clientWidth) + "×" + Math.round(e.clientHeight), clips: cs.overflowX !== "visible" || cs.overflowY !== "visible"});
        }
        break;
      }
      if (sx || sy || positioned) break;
    }
  }
  for (const svg of document.querySelectorAll("svg")) {
    if (hidden(svg)) continue;
    const sb = svg.getBoundingClientRect();
    for (const t of svg.querySelectorAll("text")) {
      const r = t.getBoundingClientRect();
      if (r.width === 0 || !t.textContent.trim()) continue;
      if (r.left < sb.left - 1 || r.right > sb.right + 1 || r.top < sb.top - 1 || r.bottom > sb.bottom + 1) {
        out.overflow.push({sel: sel(svg) + " text", text: snip(t.textContent), how: "outside the chart", box: Math.round(sb.width) + "×" + Math.round(sb.height), clips: true});
      }
    }
  }

  // Targets on a phone.
  if (phone) {
    for (const el of document.querySelectorAll("a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button]")) {
      let r = el.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue;
      if (hidden(el)) continue;
      const cs = getComputedStyle(el);
      if (el.localName === "a" && cs.display === "inline") {
        let block = el.parentElement;
        while (block && getComputedStyle(block).display === "inline") block = block.parentElement;
        const own = el.textContent.replace(/\s+/g, "").length;
        const all = block ? block.textContent.replace(/\s+/g, "").length : own;
        if (all > own + 2) continue; // inline in running text
      }
      let w = r.width, h = r.height;
      if (el.type === "checkbox" || el.type === "radio") {
        const lab = el.closest("label") || (el.id && document.querySelector('label[for="' + CSS.escape(el.id) + '"]'));
        if (lab) {
          const lr = lab.getBoundingClientRect();
          w = Math.max(r.right, lr.right) - Math.min(r.left, lr.left);
          h = Math.max(r.bottom, lr.bottom) - Math.min(r.top, lr.top);
        }
      }
      const text = snip(el.innerText || el.value || "");
      const icon = !text && el.localName !== "input" && el.localName !== "select" && el.localName !== "textarea";
      if (h < 39.5 || (icon && w < 39.5)) {
        out.targets.push({sel: sel(el), text: text || snip(el.getAttribute("aria-label") || el.getAttribute("title") || ""), w: Math.round(w), h: Math.round(h)});
      }
    }
  }

  // Text a person reads, with the element it is in; text marked as
  // another language (lang="en" on a Chinese page) is left out, and so is
  // <code>: a CSV column or a cron spec is typed as it is in any language.
  const page = (de.lang || "").toLowerCase();
  const other = (el) => { const x = el.closest("[lang]"); return x && x !== de && !x.lang.toLowerCase().startsWith(page.slice(0, 2)); };
  out.texts.push({sel: "title", text: document.title});
  const tw = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n; (n = tw.nextNode()); ) {
    const p = n.parentElement;
    if (!p || !n.data.trim() || p.closest("script,style,template,code,kbd,samp") || other(p)) continue;
    out.texts.push({sel: sel(p), text: n.data});
  }
  for (const el of document.querySelectorAll("[title],[aria-label],[placeholder],[alt],input[type=submit][value],input[type=button][value],input[type=reset][value]")) {
    if (other(el)) continue;
    for (const a of ["title", "aria-label", "placeholder", "alt"]) {
      if (el.hasAttribute(a) && el.getAttribute(a).trim()) out.texts.push({sel: sel(el) + "[" + a + "]", text: el.getAttribute(a)});
    }
    if (el.localName === "input" && el.value) out.texts.push({sel: sel(el) + "[value]", text: el.value});
  }
  return JSON.stringify(out);
})()`

type axeViolation struct {
	ID, Impact, Help string
	Nodes            []struct{ Target, Summary string }
	More             int
}

type pageProbe struct {
	Lang, Title string
	SW, CW, IW  float64
	Header      *struct {
		Sel string
		H   float64
	}
	Overflow []struct {
		Sel, Text, How, Box string
		Clips               bool
	}
	Targets []struct {
		Sel, Text string
		W, H      float64
	}
	Texts []struct{ Sel, Text string }
}

type pageResult struct {
	Axe   []axeViolation
	Probe pageProbe
}

// judge turns one page's measurements into report items.
func (res *pageResult) judge(w pageWhere, lang string, vp viewport, data []string, rep *pageReport) {
	for _, v := range res.Axe {
		for _, n := range v.Nodes {
			rep.add(w, "axe "+v.ID+" ("+v.Impact+")", n.Target, v.Help+": "+n.Summary)
		}
		if v.More > 0 {
			rep.add(w, "axe "+v.ID+" ("+v.Impact+")", "", fmt.Sprintf("and %d more elements", v.More))
		}
	}
	p := res.Probe
	if !strings.EqualFold(p.Lang, lang) {
		rep.add(w, "lang", "html", fmt.Sprintf("<html lang=%q>, the page was asked for in %s", p.Lang, lang))
	}
	if p.SW > p.CW {
		rep.add(w, "layout: sideways scroll", "html", fmt.Sprintf("the page is %.0f px wide in a %.0f px viewport", p.SW, p.CW))
	}
	if vp.phone {
		switch {
		case p.Header != nil && p.Header.H > 64:
			rep.add(w, "layout: phone header", p.Header.Sel, fmt.Sprintf("the header is %.0f px tall on the phone (at most 64)", p.Header.H))
		}
		// Controls of one kind (the navigation's links, a table's
		// row links) are one finding: one rule fixes them.
		type kind struct {
			sel string
			h   float64
		}
		var order []kind
		first := map[kind]int{}
		n := map[kind]int{}
		for i, t := range p.Targets {
			k := kind{reNth.ReplaceAllString(t.Sel, ""), t.H}
			if _, ok := first[k]; !ok {
				first[k] = i
				order = append(order, k)
			}
			n[k]++
		}
		for _, k := range order {
			t := p.Targets[first[k]]
			more := ""
			if n[k] > 1 {
				more = fmt.Sprintf(" (and %d more like it)", n[k]-1)
			}
			rep.add(w, "layout: target under 40 px", k.sel, fmt.Sprintf("%q is %.0f×%.0f px%s", t.Text, t.W, t.H, more))
		}
	}
	// One finding per kind of box: the posts of a feed, the cells of
	// a column.
	boxes := map[string][]int{}
	var boxOrder []string
	for i, o := range p.Overflow {
		k := reRecord.ReplaceAllString(reNth.ReplaceAllString(o.Sel, ""), "$1-N")
		if boxes[k] == nil {
			boxOrder = append(boxOrder, k)
		}
		boxes[k] = append(boxes[k], i)
	}
	for _, k := range boxOrder {
		o := p.Overflow[boxes[k][0]]
		what := "spills out of"
		if o.Clips {
			what = "is cut off by"
		}
		more := ""
		if n := len(boxes[k]); n > 1 {
			more = fmt.Sprintf(" (and %d more like it)", n-1)
		}
		rep.add(w, "layout: text overflow", k, fmt.Sprintf("%q %s its %s px box (%s)%s", o.Text, what, o.Box, o.How, more))
	}
	seen := map[string]bool{}
	for _, t := range p.Texts {
		stray := strayText(t.Text, lang, data)
		if stray == "" {
			continue
		}
		sel := reNth.ReplaceAllString(t.Sel, "")
		key := sel + "\x00" + stray
		if seen[key] {
			continue
		}
		seen[key] = true
		rule := "language: English on a Chinese page"
		if lang == "en" {
			rule = "language: Chinese on an English page"
		}
		rep.add(w, rule, sel, fmt.Sprintf("%q in %q", stray, strings.Join(strings.Fields(t.Text), " ")))
	}
}

// Allowed on pages of either language: codes, units and names that are
// the same in both (OTIF is OTIF in Chinese too).
var allowWords = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`OTIF SLA CSV PDF UTC GMT ETA ID API URL QR ISO IATF RoHS CNY EUR USD JPY GBP SGD
		PO SO SKU kg g t m cm mm km h min s pcs KB MB GB UTF GBK BOM
		Tierlink WeCom Feishu DingTalk Slack Webhook webhook
		English 中文 简体中文 中文（简体）`) {
		allowWords[w] = true
	}
}

var (
	// Removed before the scan: e-mail addresses, web addresses, dates,
	// times and zones, numbers, and codes (letters with digits, or
	// capitals joined by -, _ or /: PO-2026-1101, HX-220, r2; snake_case
	// names, as of CSV columns).
	reEmail = regexp.MustCompile(`[\w.+-]+@[\w-]+(\.[\w-]+)+`)
	reURL   = regexp.MustCompile(`https?://\S+|(?:^|\s)/[\w./?=&%#:-]+`)
	reZone  = regexp.MustCompile(`\b(UTC|GMT)[+-−]?\d{0,2}(:\d\d)?\b|\b[A-Z][a-z]+/[A-Z][A-Za-z_]+\b`)
	reCode  = regexp.MustCompile(`\b[A-Za-z]*\d[\w.-]*\b|\b[A-Za-z0-9]+(?:_[A-Za-z0-9]+)+\b|\b[A-Z][A-Z0-9]*(?:[-_/][A-Z0-9]+)+\b`)
	// reNth takes the position out of a selector, so the same element
	// in every row of a table is one finding.
	reNth = regexp.MustCompile(`:nth-of-type\(\d+\)`)
	// reRecord takes a record's id out of an element id (#post-35).
	reRecord  = regexp.MustCompile(`#([A-Za-z][\w-]*?)-\d+\b`)
	reIdent   = regexp.MustCompile(`^\s*[a-z0-9]+(-[a-z0-9]+)+\s*$`)
	reEnglish = regexp.MustCompile(`[A-Za-z][A-Za-z'’]*`)
	reChinese = regexp.MustCompile(`[\p{Han}\x{3000}-\x{303F}\x{FF01}-\x{FF5E}]+`)
)

// strayText returns the words of s in the other language than lang,
// after user data, addresses, codes and allowed words are taken out, or
// "" when there are none.
func strayText(s, lang string, data []string) string {
	// An identifier shown on its own (a job's name, "ack-reminders") is
	// a code, like an order number.
	if reIdent.MatchString(s) {
		return ""
	}
	if lang == "en" {
		if !reChinese.MatchString(s) {
			return ""
		}
	} else if !reEnglish.MatchString(s) {
		return ""
	}
	s = removeData(s, lang, data)
	s = reEmail.ReplaceAllString(s, " ")
	s = reURL.ReplaceAllString(s, " ")
	s = reZone.ReplaceAllString(s, " ")
	s = reCode.ReplaceAllString(s, " ")
	var found []string
	re := reEnglish
	if lang == "en" {
		re = reChinese
	}
	for _, m := range re.FindAllString(s, -1) {
		if allowWords[m] || lang != "en" && len(m) == 1 && m != "a" && m != "I" {
			continue
		}
		found = append(found, m)
	}
	return strings.Join(found, " ")
}

// removeData blanks out the user data in s: each stored string of the
// other script than the page's, as a whole word (an ASCII string must not
// be cut out of a longer word: "set", a unit, must leave "Settings"
// alone).
func removeData(s, lang string, data []string) string {
	for _, d := range data {
		if lang == "en" {
			if !reChinese.MatchString(d) {
				continue
			}
		} else if !reEnglish.MatchString(d) {
			continue
		}
		for from := 0; ; {
			i := strings.Index(s[from:], d)
			if i < 0 {
				break
			}
			i += from
			j := i + len(d)
			if wordAt(s, i-1, d[0]) || wordAt(s, j, d[len(d)-1]) {
				from = i + 1
				continue
			}
			s = s[:i] + " " + s[j:]
			from = i + 1
		}
	}
	return s
}

// wordAt reports whether s[i] continues an ASCII word that edge (the
// data's own first or last byte) is part of.
func wordAt(s string, i int, edge byte) bool {
	if i < 0 || i >= len(s) || !isWordByte(edge) {
		return false
	}
	return isWordByte(s[i])
}

func isWordByte(b byte) bool {
	return b < 0x80 && (unicode.IsLetter(rune(b)) || unicode.IsDigit(rune(b)) || b == '_')
}
