package portal

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/tierlink/tierlink/ent/viewer"
	"github.com/tierlink/tierlink/partners/accounts"
	"github.com/tierlink/tierlink/partners/groups"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed assets
var assetFS embed.FS

type pageSet struct{ pages map[string]*template.Template }

// pageData is what every page template receives.
type pageData struct {
	L       *locale
	Title   string
	Session *accounts.Session
	CSRF    string
	Staff   bool
	Editor  bool
	Admin   bool
	Flash   string
	Err     *Problem
	// Form is a refused form's typed values and reasons, to show again.
	Form formState
	// Path is the request's path, for the navigation's active entry.
	Path string
	// Company is the name of the company running the portal.
	Company string
	// Logo is set when the company has a logo at /branding/logo.
	Logo bool
	// MailOff asks the admin pages to say that mail is not configured.
	MailOff bool
	Data    any
}

// loadPages parses every page with the shared templates; times show in
// zone, the company's.
func loadPages(zone *time.Location) (*pageSet, error) {
	funcs := template.FuncMap{
		"dict": func(kv ...any) map[string]any {
			m := map[string]any{}
			for i := 0; i+1 < len(kv); i += 2 {
				m[kv[i].(string)] = kv[i+1]
			}
			return m
		},
		// fmtTime shows an instant in the reader's zone, with the zone
		// named, as one unbreakable <time>.
		"fmtTime": func(v any, l *locale) template.HTML {
			var t time.Time
			switch x := v.(type) {
			case time.Time:
				t = x
			case *time.Time:
				if x == nil {
					return ""
				}
				t = *x
			default:
				return ""
			}
			return timeHTML(t, l.zone(zone))
		},
		// zoneName is the IANA name of the zone fmtTime uses, for pages
		// whose script formats live times the same way.
		"zoneName": func(l *locale) string { return l.zone(zone).String() },

		"diff": auditDiff,
		"list": func(xs ...string) []string { return xs },
		"deref64": func(p *float64) float64 {
			if p == nil {
				return 0
			}
			return *p
		},
		// pct shows a share, or "no data"; hours a duration in words
		// (web_scorecards.go).
		"pct":   scPct,
		"hours": scHours,
		"duration": func(from time.Time, to *time.Time) string {
			if to == nil {
				return "…"
			}
			return to.Sub(from).Round(time.Millisecond).String()
		},
		// fmtDate shows a calendar date (stored at UTC midnight) that
		// never wraps at its hyphens.
		"fmtDate": func(v any) template.HTML {
			var t time.Time
			switch x := v.(type) {
			case *time.Time:
				if x == nil {
					return ""
				}
				t = *x
			case time.Time:
				t = x
			default:
				return ""
			}
			return dateHTML(t)
		},
		"size": formatSize,
		// fieldError shows why a refused form's field was refused, next
		// to the field.
		"fieldError": func(f formState, name string) template.HTML {
			r := f.Error(name)
			if r == "" {
				return ""
			}
			return template.HTML(`<span class="field-error" role="alert">` + template.HTMLEscapeString(r) + `</span>`) //nolint:gosec // escaped above
		},
		"add": func(a, b int) int { return a + b },
		"deref": func(p *int) int {
			if p == nil {
				return 0
			}
			return *p
		},
		"nav":       nav,
		"emptyPost": func() groups.Post { return groups.Post{Kind: "message", Card: &groups.Card{}} },
	}
	shared := []string{"templates/layout.html", "templates/transfers_table.html", "templates/upload_form.html", "templates/documents_table.html", "templates/job_actions.html"}
	entries, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	ps := &pageSet{pages: map[string]*template.Template{}}
	for _, e := range entries {
		name := strings.TrimSuffix(strings.TrimPrefix(e, "templates/"), ".html")
		if name == "layout" || name == "transfers_table" || name == "upload_form" || name == "documents_table" || name == "job_actions" {
			continue
		}
		t, err := template.New(name).Funcs(funcs).ParseFS(templateFS, append(shared, e)...)
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", name, err)
		}
		ps.pages[name] = t
	}
	return ps, nil
}

// dateHTML is a calendar date (stored at UTC midnight) that never wraps
// at its hyphens.
func dateHTML(t time.Time) template.HTML {
	d := t.UTC().Format("2006-01-02")
	return template.HTML(`<time class="nw" datetime="` + d + `">` + d + `</time>`) //nolint:gosec // a formatted date
}

// timeHTML is t in zone as "2026-12-03 10:30 UTC+8", the zone spelled
// as an offset because abbreviations are ambiguous (CST is Shanghai and
// Chicago).
func timeHTML(t time.Time, zone *time.Location) template.HTML {
	t = t.In(zone)
	return template.HTML(`<time class="nw" datetime="` + t.Format(time.RFC3339) + `">` + t.Format("2006-01-02 15:04") + " " + utcOffset(t) + `</time>`) //nolint:gosec // formatted digits only
}

// utcOffset names t's offset as UTC+8, UTC-3:30 or UTC.
func utcOffset(t time.Time) string {
	_, off := t.Zone()
	if off == 0 {
		return "UTC"
	}
	sign := "+"
	if off < 0 {
		sign, off = "-", -off
	}
	s := "UTC" + sign + strconv.Itoa(off/3600)
	if m := off % 3600 / 60; m != 0 {
		s += fmt.Sprintf(":%02d", m)
	}
	return s
}

func auditDiff(before, after map[string]any) string {
	keys := map[string]bool{}
	for k := range before {
		keys[k] = true
	}
	for k := range after {
		keys[k] = true
	}
	var names []string
	for k := range keys {
		names = append(names, k)
	}
	sort.Strings(names)
	var parts []string
	for _, k := range names {
		b, a := fmt.Sprint(before[k]), fmt.Sprint(after[k])
		if before == nil {
			parts = append(parts, k+"="+a)
		} else if b != a {
			parts = append(parts, k+": "+b+" → "+a)
		}
	}
	return strings.Join(parts, "; ")
}

func (s *Server) render(c *fiber.Ctx, name, title string, data any) error {
	return s.renderStatus(c, fiber.StatusOK, name, title, data, nil)
}

func (s *Server) renderStatus(c *fiber.Ctx, status int, name, title string, data any, perr *Problem) error {
	sess := currentSession(c)
	saved := ""
	if sess != nil {
		saved = sess.Locale
	} else if hint, _ := c.Locals(localeHintKey{}).(string); hint != "" {
		saved = hint
	}
	l := *pickLocale(c, saved) // a copy: the zone is the reader's
	l.Zone = s.zoneOf(c)
	pd := pageData{L: &l, Session: sess, Data: data, Err: perr, Path: c.Path(), Company: s.companyName(), Logo: len(s.cfg.Logo) > 0}
	if st, p := formRefused(c); p != nil && name != "error" {
		// The page holds a form that was refused: it answers with the
		// API's status and shows the reasons beside the typed values.
		// (Should showing it fail, the error page says why instead.)
		pd.Form, pd.Err, status = st, p, p.Status
	}
	if sess != nil {
		pd.CSRF = sess.CSRF
		pd.Staff, pd.Editor, pd.Admin = sess.Viewer.IsStaff(), sess.Viewer.CanEdit(), sess.Viewer.Role == viewer.RoleAdmin
		pd.MailOff = pd.Admin && s.deps.Mail != nil && !s.deps.Mail.Configured() && strings.HasPrefix(pd.Path, "/admin/") && pd.Path != "/admin/mail"
	}
	pd.Title = pd.L.T(title)
	if f := c.Query("msg"); f != "" && len(f) < 40 {
		pd.Flash = pd.L.T(f)
	}
	if f := takeFlash(c); f != "" && pd.Err == nil {
		pd.Err = &Problem{Detail: f} // a refusal refererBack brought back here
	}
	var buf bytes.Buffer
	if err := s.pages.pages[name].ExecuteTemplate(&buf, "layout", pd); err != nil {
		return err
	}
	c.Status(status)
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Send(buf.Bytes())
}

func (s *Server) renderError(c *fiber.Ctx, p Problem) error {
	// The problem is in the reader's language already (problemFor); the
	// page adds where "back" goes: the form's page, not "/".
	return s.renderStatus(c, p.Status, "error", "error", errorPage{Problem: p, Back: s.backPath(c)}, nil)
}

// zoneOf is the zone the caller reads and types times in: their own
// setting, else (a partner user) their partner's, else the company's.
func (s *Server) zoneOf(c *fiber.Ctx) *time.Location {
	sess := currentSession(c)
	if sess == nil || sess.TimeZone == "" {
		return s.cfg.DisplayZone
	}
	if z, ok := s.zones.Load(sess.TimeZone); ok {
		return z.(*time.Location)
	}
	z, err := time.LoadLocation(sess.TimeZone)
	if err != nil {
		// A zone the system's database no longer knows: the company's.
		return s.cfg.DisplayZone
	}
	s.zones.Store(sess.TimeZone, z)
	return z
}

// nav marks the navigation entry for href as the current page: the
// entry whose path is the request's, or its parent's (an order's page
// lights up "Orders").
func nav(path, href string) template.HTMLAttr {
	if path == href || (href != "/" && strings.HasPrefix(path, href+"/")) {
		return `aria-current="page"`
	}
	return ""
}

// favicon answers the /favicon.ico browsers ask for whatever the page
// links.
func (s *Server) favicon(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "public, max-age=86400")
	return c.Redirect("/assets/favicon.svg", fiber.StatusMovedPermanently)
}

// logo serves the company's configured logo.
func (s *Server) logo(c *fiber.Ctx) error {
	if len(s.cfg.Logo) == 0 {
		return fiber.NewError(fiber.StatusNotFound, "no logo is configured")
	}
	c.Set(fiber.HeaderContentType, s.cfg.LogoType)
	// An SVG logo may hold script; opened on its own it runs none.
	c.Set(fiber.HeaderContentSecurityPolicy, "default-src 'none'; style-src 'unsafe-inline'; sandbox")
	c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
	return c.Send(s.cfg.Logo)
}

func (s *Server) registerAssets() {
	sub, _ := fs.Sub(assetFS, "assets")
	s.app.Get("/assets/:name", func(c *fiber.Ctx) error {
		name := c.Params("name")
		b, err := fs.ReadFile(sub, name)
		if err != nil || strings.Contains(name, "/") {
			return fiber.NewError(fiber.StatusNotFound, "no such asset")
		}
		switch {
		case strings.HasSuffix(name, ".css"):
			c.Set(fiber.HeaderContentType, "text/css; charset=utf-8")
		case strings.HasSuffix(name, ".js"):
			c.Set(fiber.HeaderContentType, "text/javascript; charset=utf-8")
		case strings.HasSuffix(name, ".svg"):
			c.Set(fiber.HeaderContentType, "image/svg+xml")
		}
		c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
		return c.Send(b)
	})
}
