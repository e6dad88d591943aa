package portal

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/bridge"
	"github.com/tierlink/tierlink/ent/changerequest"
	"github.com/tierlink/tierlink/ent/document"
	"github.com/tierlink/tierlink/ent/group"
	"github.com/tierlink/tierlink/ent/order"
	"github.com/tierlink/tierlink/ent/shipment"
	"github.com/tierlink/tierlink/ent/user"
	"github.com/tierlink/tierlink/partners/wecom"
)

// TestPageChecks walks every GET page of the portal, over the demo
// company, in Chinese and English, on a 360×780 phone and a 1280×800
// desktop, and checks each page for:
//   - accessibility: axe-core (WCAG 2.0 A/AA, 2.1 AA) finds nothing
//     serious or critical;
//   - layout: no sideways scroll, the phone header at most 64 px tall,
//     no text outside its box, no control under 40 px on the phone;
//   - stray language: no English of the app's own on a Chinese page, no
//     Chinese on an English page (user data and an allowlist aside).
//
// Every problem is reported at once, grouped by page; set
// TIERLINK_PAGECHECK_REPORT=file to have the report written there too.
// TIERLINK_SCREENSHOTS=dir turns the walk into `make screenshots`:
// full-page PNGs of every page on a 390×844 phone and a 1280×800
// desktop, and no checks. TIERLINK_PAGECHECK_ROLES=all visits every page
// as every role that may see it (slower; the default is one staff role
// per page plus the partner user, see pageRoles).
func TestPageChecks(t *testing.T) {
	if testing.Short() {
		t.Skip("page checks drive a browser; not in -short")
	}
	shots := os.Getenv("TIERLINK_SCREENSHOTS")
	axeDir := npmPackage(t, "testdata/pagecheck")
	axeJS, err := os.ReadFile(filepath.Join(axeDir, "node_modules", "axe-core", "axe.min.js"))
	if err != nil {
		t.Fatalf("axe-core: %v", err)
	}
	exe := chromium(t)
	// Without a Chinese font Chromium draws Chinese as empty boxes: the
	// screenshots show nothing and the layout measures other widths.
	if out, err := exec.Command("fc-list", ":lang=zh").Output(); err != nil || len(bytes.TrimSpace(out)) == 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("no Chinese font (apt-get install fonts-wqy-microhei); .ci/run installs one")
		}
		t.Log("no Chinese font (apt-get install fonts-wqy-microhei): Chinese pages are measured with empty boxes")
	}
	start := time.Now()
	e := newDemoEnv(t)
	visits := e.visits(t, e.srv.pageRoutes(), os.Getenv("TIERLINK_PAGECHECK_ROLES") == "all")
	data := e.userStrings(t)
	t.Logf("demo seeded, %d page visits planned, %d user strings (%s)", len(visits), len(data), time.Since(start).Round(time.Millisecond))

	views := []viewport{{"phone", 360, 780, true}, {"desktop", 1280, 800, false}}
	if shots != "" {
		views = []viewport{{"phone", 390, 844, true}, {"desktop", 1280, 800, false}}
	}
	b := newPageBrowser(t, exe, string(axeJS))
	var rep pageReport
	for _, lang := range []string{"zh-CN", "en"} {
		e.setLanguage(t, lang)
		for _, v := range visits {
			tab := b.tab(t, e, v.who, lang)
			for _, vp := range views {
				where := pageWhere{Page: v.label(), Role: string(v.who), Lang: lang, View: vp.name}
				if shots != "" {
					if err := b.shoot(tab, e.base+v.path, vp, filepath.Join(shots, lang+"-"+vp.name, v.file()+".png")); err != nil {
						rep.add(where, "screenshot", "", err.Error())
					}
					continue
				}
				res, err := b.check(tab, e.base+v.path, vp)
				if err != nil {
					rep.add(where, "load", "", err.Error())
					continue
				}
				res.judge(where, lang, vp, data, &rep)
			}
		}
	}
	t.Logf("walked %d visits × 2 languages × %d viewports in %s", len(visits), len(views), time.Since(start).Round(time.Second))
	if shots != "" {
		t.Logf("screenshots in %s", shots)
		if len(rep.items) > 0 {
			t.Error(rep.String())
		}
		return
	}
	text := rep.String()
	if p := os.Getenv("TIERLINK_PAGECHECK_REPORT"); p != "" {
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Errorf("write report: %v", err)
		}
	}
	if len(rep.items) > 0 {
		t.Errorf("page checks found %d problems:\n%s", rep.count(), text)
	}
}

type viewport struct {
	name  string
	w, h  int
	phone bool
}

// visit is one page, as one role.
type visit struct {
	route, path, variant string
	who                  who
}

func (v visit) label() string {
	s := v.path
	if strings.Contains(v.route, ":token") {
		s = v.route // a fresh secret each run
	}
	if v.variant != "" {
		s += " (" + v.variant + ")"
	}
	if v.route != v.path {
		s += " [" + v.route + "]"
	}
	return s
}

// file names the visit's screenshot: the path, its variant and the role.
func (v visit) file() string {
	slug := func(s string) string {
		return strings.Trim(regexp.MustCompile(`[^A-Za-z0-9]+`).ReplaceAllString(s, "-"), "-")
	}
	name := slug(v.route)
	if name == "" {
		name = "home"
	}
	if v.variant != "" {
		name += "--" + slug(v.variant)
	}
	return name + "--" + string(v.who)
}

// walkPath says how the walk fills one page route's path: the records
// to show (one path per variant worth seeing), or why the route is not
// a page to check.
type walkPath struct {
	skip string
	// roles adds roles beyond pageRoles' default for pages that differ
	// much by role.
	roles []who
	fill  func(e *demoEnv, ids *demoIDs, w who) []variant
}

type variant struct{ name, path string }

func one(p string) []variant { return []variant{{"", p}} }

// walkPaths covers every GET page route. A new page route without an
// entry fails the test, so the walk cannot silently shrink; entries for
// routes that do not exist (yet) are only logged.
var walkPaths = map[string]walkPath{
	"/login": {fill: fixed("/login")},
	"/invite/:token": {fill: func(e *demoEnv, _ *demoIDs, _ who) []variant {
		return []variant{{"a pending invitation", "/invite/" + e.invite}}
	}},
	"/":          {roles: []who{wAdmin, wBuyer, wViewer, wPartner}, fill: fixed("/")},
	"/settings":  {fill: fixed("/settings")},
	"/staff":     {roles: []who{wAdmin}, fill: fixed("/staff")},
	"/staff/:id": {fill: func(_ *demoEnv, ids *demoIDs, _ who) []variant { return one(fmt.Sprintf("/staff/%d", ids.staffUser)) }},
	"/staff/:id/deactivate": {fill: func(_ *demoEnv, ids *demoIDs, _ who) []variant {
		return one(fmt.Sprintf("/staff/%d/deactivate", ids.staffUser))
	}},
	"/favicon.ico":   {skip: "an icon, not a page"},
	"/branding/logo": {skip: "the configured logo image, not a page"},
	"/partners":      {fill: fixed("/partners")},
	"/partners/:id": {fill: func(_ *demoEnv, ids *demoIDs, w who) []variant {
		return one(fmt.Sprintf("/partners/%d", ids.partnerFor(w)))
	}},
	"/contacts/:id":  {fill: func(_ *demoEnv, ids *demoIDs, _ who) []variant { return one(fmt.Sprintf("/contacts/%d", ids.contact)) }},
	"/transfers/new": {fill: fixed("/transfers/new")},
	"/documents/:id": {fill: func(_ *demoEnv, ids *demoIDs, w who) []variant {
		return one(fmt.Sprintf("/documents/%d", ids.document[w == wPartner]))
	}},
	"/groups":     {fill: fixed("/groups")},
	"/groups/:id": {roles: []who{wBuyer, wViewer, wPartner}, fill: func(_ *demoEnv, ids *demoIDs, _ who) []variant { return one(fmt.Sprintf("/groups/%d", ids.group)) }},
	"/groups/:id/bridges": {roles: []who{wAdmin}, fill: func(_ *demoEnv, ids *demoIDs, _ who) []variant {
		return one(fmt.Sprintf("/groups/%d/bridges", ids.bridgeGroup))
	}},
	"/admin/jobs":       {fill: fixed("/admin/jobs")},
	"/admin/jobs/:name": {fill: fixed("/admin/jobs/ack-reminders")},
	"/orders":           {fill: fixed("/orders")},
	"/orders/new":       {fill: fixed("/orders/new")},
	"/orders/:id": {roles: []who{wBuyer, wViewer, wPartner}, fill: func(_ *demoEnv, ids *demoIDs, w who) []variant {
		return ids.variants("/orders/%d", ids.orders, w)
	}},
	"/orders/:id/edit": {fill: func(_ *demoEnv, ids *demoIDs, _ who) []variant {
		return one(fmt.Sprintf("/orders/%d/edit", ids.draft))
	}},
	"/orders/:id/cancel": {fill: func(_ *demoEnv, ids *demoIDs, _ who) []variant {
		return one(fmt.Sprintf("/orders/%d/cancel", ids.draft))
	}},
	"/change-requests":   {fill: fixed("/change-requests")},
	"/scorecards":        {fill: fixed("/scorecards")},
	"/scorecards.csv":    {skip: "a CSV download, not a page"},
	"/scorecards/owners": {fill: fixed("/scorecards/owners")},
	"/scorecards/:id": {fill: func(_ *demoEnv, ids *demoIDs, w who) []variant {
		return one(fmt.Sprintf("/scorecards/%d", ids.partnerFor(w)))
	}},
	"/board":     {fill: fixed("/board")},
	"/shipments": {fill: fixed("/shipments")},
	"/shipments/new": {fill: func(_ *demoEnv, ids *demoIDs, w who) []variant {
		return one(fmt.Sprintf("/shipments/new?order_id=%d", ids.acked[w == wPartner]))
	}},
	"/shipments/:id": {roles: []who{wBuyer, wPartner}, fill: func(_ *demoEnv, ids *demoIDs, w who) []variant {
		return ids.variants("/shipments/%d", ids.shipments, w)
	}},
	// WeCom sign-in and settings (web_wecom.go).
	"/wecom/login": {skip: "a redirect to WeCom (or, unconfigured, to /wecom/refused, walked below)"},
	"/wecom/oauth": {skip: "WeCom's return: a redirect home or to /wecom/refused, walked below"},
	"/wecom/refused": {fill: func(*demoEnv, *demoIDs, who) []variant {
		var out []variant
		for _, r := range wecom.Refusals {
			out = append(out, variant{string(r), "/wecom/refused?reason=" + string(r)})
		}
		return out
	}},
	"/admin/wecom": {fill: fixed("/admin/wecom")},
	// The unmatched WeCom inbox (web_wecom_inbox.go): forms for buyers,
	// none for viewers.
	"/wecom/unmatched": {roles: []who{wViewer}, fill: fixed("/wecom/unmatched")},
}

func fixed(p string) func(*demoEnv, *demoIDs, who) []variant {
	return func(*demoEnv, *demoIDs, who) []variant { return one(p) }
}

// pageRoles is who sees a page by default: for a public page nobody
// signed in; for staff pages one staff role (the buyer, who does the
// daily work; the admin where only an admin may look), and for pages
// every user may see, the buyer and the partner user. A table entry may
// add roles where the page differs much by role; with all set, every
// role that may see the page does.
func pageRoles(a access, extra []who, all bool) []who {
	var def, every []who
	switch a {
	case anyone:
		return []who{anon}
	case admin:
		def, every = []who{wAdmin}, []who{wAdmin}
	case editor:
		def, every = []who{wBuyer}, []who{wAdmin, wBuyer}
	case staff:
		def, every = []who{wBuyer}, []who{wAdmin, wBuyer, wViewer}
	case partner:
		def, every = []who{wPartner}, []who{wPartner}
	default:
		def, every = []who{wBuyer, wPartner}, []who{wAdmin, wBuyer, wViewer, wPartner}
	}
	if all {
		return every
	}
	out := slices.Clone(def)
	for _, w := range extra {
		if slices.Contains(every, w) && !slices.Contains(out, w) {
			out = append(out, w)
		}
	}
	return out
}

// visits lists the walk: every GET page route as each of its roles,
// with its path filled from the demo records.
func (e *demoEnv) visits(t *testing.T, routes []pageRoute, all bool) []visit {
	t.Helper()
	ids := findDemoIDs(t, e)
	var out []visit
	var missing []string
	seen := map[string]bool{}
	for _, r := range routes {
		if r.Method != "GET" {
			continue
		}
		seen[r.Path] = true
		pp, ok := walkPaths[r.Path]
		if !ok {
			missing = append(missing, r.Path)
			continue
		}
		if pp.skip != "" {
			continue
		}
		for _, w := range pageRoles(r.Access, pp.roles, all) {
			for _, v := range pp.fill(e, ids, w) {
				out = append(out, visit{route: r.Path, path: v.path, variant: v.name, who: w})
			}
		}
	}
	if len(missing) > 0 {
		t.Fatalf("GET page routes without an entry in walkPaths (pagecheck_test.go), say how to fill their path: %v", missing)
	}
	for p := range walkPaths {
		if !seen[p] {
			t.Logf("walkPaths entry %s matches no page route (yet)", p)
		}
	}
	return out
}

// demoIDs are the demo records the walk shows.
type demoIDs struct {
	// partner is the demo supplier with a portal login, other a staff
	// view of the same; the partner user only sees its own.
	partner   int
	staffUser int
	contact   int
	document  map[bool]int // by "as the partner user"
	acked     map[bool]int // an acknowledged order, to ship against
	group     int
	// bridgeGroup is a group with a bridge and deliveries.
	bridgeGroup int
	// orders and shipments: named variants, each with whether the
	// partner user may see it.
	orders, shipments []idVariant
	// draft is an unpublished order, for its edit and cancel pages.
	draft int
}

type idVariant struct {
	name    string
	id      int
	partner bool
}

func (ids *demoIDs) partnerFor(w who) int { return ids.partner }

// variants fills pattern with each record of list the role may see.
func (ids *demoIDs) variants(pattern string, list []idVariant, w who) []variant {
	var out []variant
	for _, v := range list {
		if w == wPartner && !v.partner {
			continue
		}
		out = append(out, variant{v.name, fmt.Sprintf(pattern, v.id)})
	}
	return out
}

// findDemoIDs looks the records up by what they are (a draft order, a
// delayed shipment), not by number, so the demo may change its numbers.
// A kind of record the demo lacks fails the test: the walk would miss
// the page state it stands for.
func findDemoIDs(t *testing.T, e *demoEnv) *demoIDs {
	t.Helper()
	ctx := e.f.System()
	c := e.f.DB.Client
	pu := e.users[wPartner]
	puRec, err := c.User.Query().Where(user.ID(pu.ID)).Only(ctx)
	if err != nil || puRec.PartnerID == nil || puRec.ContactID == nil {
		t.Fatalf("demo partner user: %v", err)
	}
	pid := *puRec.PartnerID
	ids := &demoIDs{partner: pid, staffUser: e.users[wBuyer].ID, contact: *puRec.ContactID, document: map[bool]int{}, acked: map[bool]int{}}
	need := func(what string) func(int, error) int {
		return func(id int, err error) int {
			t.Helper()
			if err != nil {
				t.Fatalf("the demo has no %s, which the page walk shows: %v", what, err)
			}
			return id
		}
	}
	first := func(q *ent.OrderQuery) (int, error) { return q.Order(ent.Asc(order.FieldID)).FirstID(ctx) }
	ids.document[true] = need("certificate of the partner")(c.Document.Query().Where(document.PartnerID(pid), document.KindEQ(document.KindCertificate)).Order(ent.Asc(document.FieldID)).FirstID(ctx))
	ids.document[false] = need("expired or expiring certificate")(c.Document.Query().Where(document.KindEQ(document.KindCertificate), document.PartnerIDNEQ(pid)).Order(ent.Asc(document.FieldID)).FirstID(ctx))
	ids.group = need("partner group")(c.Group.Query().Where(group.PartnerID(pid), group.KindEQ(group.KindPartner)).Order(ent.Asc(group.FieldID)).FirstID(ctx))
	br, err := c.Bridge.Query().Order(ent.Asc(bridge.FieldID)).First(ctx)
	if err != nil {
		t.Fatalf("the demo has no bridge, which the page walk shows: %v", err)
	}
	ids.bridgeGroup = br.GroupID
	cr, err := c.ChangeRequest.Query().Where(changerequest.StateEQ(changerequest.StateOpen), changerequest.PartnerID(pid)).
		Order(ent.Asc(changerequest.FieldID)).First(ctx)
	if err != nil {
		t.Fatalf("the demo has no open change request of the partner, which the page walk shows: %v", err)
	}
	mine := order.PartnerID(pid)
	for _, o := range []struct {
		name    string
		q       *ent.OrderQuery
		partner bool
	}{
		{"draft", c.Order.Query().Where(order.StatusEQ(order.StatusDraft)), false},
		{"awaiting answer", c.Order.Query().Where(order.StatusEQ(order.StatusPublished), mine), true},
		{"change requested", c.Order.Query().Where(order.ID(cr.OrderID)), true},
		{"acknowledged, shipped", c.Order.Query().Where(order.StatusEQ(order.StatusAcknowledged), order.DirectionEQ(order.DirectionUpstream), order.PartnerIDNEQ(pid)), false},
		{"to a dealer", c.Order.Query().Where(order.DirectionEQ(order.DirectionDownstream)), false},
	} {
		ids.orders = append(ids.orders, idVariant{o.name, need("order " + o.name)(first(o.q)), o.partner})
	}
	ids.draft = ids.orders[0].id
	for _, mine := range []bool{true, false} {
		q := c.Order.Query().Where(order.StatusEQ(order.StatusAcknowledged), order.DirectionEQ(order.DirectionUpstream))
		if mine {
			q.Where(order.PartnerID(pid))
		}
		ids.acked[mine] = need("acknowledged order")(q.Order(ent.Desc(order.FieldID)).FirstID(ctx))
	}
	for _, s := range []struct {
		name    string
		status  shipment.Status
		partner bool
	}{
		{"in transit", shipment.StatusInTransit, false},
		{"delayed", shipment.StatusDelayed, false},
		{"delivered", shipment.StatusDelivered, true},
	} {
		q := c.Shipment.Query().Where(shipment.StatusEQ(s.status))
		if s.partner {
			q.Where(shipment.PartnerID(pid))
		}
		ids.shipments = append(ids.shipments, idVariant{s.name, need("shipment " + s.name)(q.Order(ent.Asc(shipment.FieldID)).FirstID(ctx)), s.partner})
	}
	return ids
}

// pageBrowser is one headless Chromium for the whole walk, with a tab
// (its own cookie jar) per role.
type pageBrowser struct {
	ctx  context.Context
	axe  string
	tabs map[who]context.Context
}

func newPageBrowser(t *testing.T, exe, axe string) *pageBrowser {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("hide-scrollbars", false),
		chromedp.WindowSize(1280, 800),
		chromedp.UserDataDir(t.TempDir()),
	)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	if err := chromedp.Do(ctx); err != nil {
		cancelC()
		cancelA()
		t.Fatalf("start Chromium: %v", err)
	}
	t.Cleanup(func() { cancelC(); cancelA() })
	return &pageBrowser{ctx: ctx, axe: axe, tabs: map[who]context.Context{}}
}

// tab returns the role's tab, signed in, asking for lang.
func (b *pageBrowser) tab(t *testing.T, e *demoEnv, w who, lang string) context.Context {
	t.Helper()
	key := w
	ctx, ok := b.tabs[key]
	if !ok {
		ctx, _ = chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
		err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			if _, err := chromedp.Call(ctx, page.SetBypassCSP, page.SetBypassCSPParams{Enabled: true}); err != nil {
				return err
			}
			_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: b.axe})
			return err
		}))
		if err != nil {
			t.Fatalf("open tab for %s: %v", w, err)
		}
		if tok, ok := e.sessions[w]; ok {
			httpOnly := true
			err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
				_, err := chromedp.Call(ctx, network.SetCookie, network.SetCookieParams{Name: e.srv.cookieName, Value: tok, URL: e.base + "/", HTTPOnly: &httpOnly})
				return err
			}))
			if err != nil {
				t.Fatalf("cookie for %s: %v", w, err)
			}
		}
		b.tabs[key] = ctx
	}
	al := "zh-CN,zh;q=0.9"
	if lang == "en" {
		al = "en-US,en;q=0.9"
	}
	err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Accept-Language": al}})
		return err
	}))
	if err != nil {
		t.Fatal(err)
	}
	return ctx
}

// load opens url at the viewport and waits for it to settle.
func (b *pageBrowser) load(tab context.Context, url string, vp viewport) (int64, error) {
	ctx, cancel := context.WithTimeout(tab, 60*time.Second)
	defer cancel()
	opts := []chromedp.EmulateViewportOption{chromedp.EmulateScale(1)}
	if vp.phone {
		opts = append(opts, chromedp.EmulateMobile, chromedp.EmulateTouch)
	}
	resp, err := chromedp.RunResponse(ctx, chromedp.EmulateViewport(int64(vp.w), int64(vp.h), opts...), chromedp.Navigate(url))
	if err != nil {
		return 0, err
	}
	var status int64
	if resp != nil {
		status = resp.Status
	}
	// Fonts and late layout.
	_, err = chromedp.Run(ctx, chromedp.Evaluate[bool](`document.fonts.ready.then(() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true)))))`,
		chromedp.EvalAwaitPromise))
	return status, err
}

func (b *pageBrowser) shoot(tab context.Context, url string, vp viewport, file string) error {
	if _, err := b.load(tab, url, vp); err != nil {
		return err
	}
	buf, err := chromedp.Run(tab, chromedp.FullScreenshot(100))
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return err
	}
	return os.WriteFile(file, buf, 0o644)
}

// check loads the page and runs axe and the layout and language probe.
func (b *pageBrowser) check(tab context.Context, url string, vp viewport) (*pageResult, error) {
	status, err := b.load(tab, url, vp)
	if err != nil {
		return nil, err
	}
	if status != 200 {
		return nil, fmt.Errorf("HTTP %d", status)
	}
	ctx, cancel := context.WithTimeout(tab, 60*time.Second)
	defer cancel()
	axeOut, err := chromedp.Run(ctx, chromedp.Evaluate[string](axeRunJS, chromedp.EvalAwaitPromise))
	if err != nil {
		return nil, fmt.Errorf("axe: %v", err)
	}
	probeOut, err := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(probeJS, vp.phone)))
	if err != nil {
		return nil, fmt.Errorf("probe: %v", err)
	}
	res := &pageResult{}
	if err := json.Unmarshal([]byte(axeOut), &res.Axe); err != nil {
		return nil, fmt.Errorf("axe result: %v", err)
	}
	if err := json.Unmarshal([]byte(probeOut), &res.Probe); err != nil {
		return nil, fmt.Errorf("probe result: %v", err)
	}
	return res, nil
}

// pageWhere names one checked page.
type pageWhere struct{ Page, Role, Lang, View string }

type pageItem struct {
	where         pageWhere
	rule, at, msg string
}

// pageReport collects every problem of the walk, to print grouped by
// page, a problem seen at several roles, languages or viewports once.
type pageReport struct{ items []pageItem }

func (r *pageReport) add(w pageWhere, rule, at, msg string) {
	r.items = append(r.items, pageItem{w, rule, at, msg})
}

func (r *pageReport) count() int { return len(r.items) }

func (r *pageReport) String() string {
	type key struct{ rule, at, msg string }
	seenAs := map[key]map[string][]string{} // problem → page → role/lang/view
	for _, it := range r.items {
		k := key{it.rule, it.at, it.msg}
		if seenAs[k] == nil {
			seenAs[k] = map[string][]string{}
		}
		seenAs[k][it.where.Page] = append(seenAs[k][it.where.Page], it.where.Role+"/"+it.where.Lang+"/"+it.where.View)
	}
	// A problem on many pages is the shared shell's (header, navigation,
	// common styles): listed once, above the pages, so it is fixed once.
	const shared = 4
	byPage := map[string][]key{}
	var common []key
	for k, pages := range seenAs {
		if len(pages) >= shared {
			common = append(common, k)
			continue
		}
		for p := range pages {
			byPage[p] = append(byPage[p], k)
		}
	}
	less := func(a, b key) int {
		return strings.Compare(a.rule+"\x00"+a.at+"\x00"+a.msg, b.rule+"\x00"+b.at+"\x00"+b.msg)
	}
	line := func(sb *strings.Builder, k key) {
		at := ""
		if k.at != "" {
			at = " at " + k.at
		}
		fmt.Fprintf(sb, "  - [%s]%s: %s\n", k.rule, at, k.msg)
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "Page checks: %d problems (%d distinct). Each line: [rule] at where on the page: what; then where it was seen (role/language/viewport).\n",
		len(r.items), len(seenAs))
	if len(common) > 0 {
		slices.SortFunc(common, less)
		fmt.Fprintf(&sb, "\n== On %d or more pages (the shared layout: header, navigation, common styles)\n", shared)
		for _, k := range common {
			line(&sb, k)
			pages := slices.Sorted(maps.Keys(seenAs[k]))
			var views []string
			for _, p := range pages {
				views = append(views, seenAs[k][p]...)
			}
			shown := pages
			if len(shown) > 8 {
				shown = append(slices.Clip(shown[:8]), fmt.Sprintf("… %d more", len(pages)-8))
			}
			fmt.Fprintf(&sb, "      on %d pages: %s\n      seen as %s\n", len(pages), strings.Join(shown, ", "), strings.Join(compactSeen(views), ", "))
		}
	}
	for _, p := range slices.Sorted(maps.Keys(byPage)) {
		keys := byPage[p]
		slices.SortFunc(keys, less)
		fmt.Fprintf(&sb, "\n== %s\n", p)
		for _, k := range keys {
			line(&sb, k)
			fmt.Fprintf(&sb, "      seen as %s\n", strings.Join(compactSeen(seenAs[k][p]), ", "))
		}
	}
	return sb.String()
}

// compactSeen lists where a problem was seen, once each, sorted.
func compactSeen(s []string) []string {
	s = slices.Compact(slices.Sorted(slices.Values(s)))
	return s
}
