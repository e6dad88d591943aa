package portal

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tierlink/tierlink/ent/database/dbtest"
	"github.com/tierlink/tierlink/partners/accounts"
	"github.com/tierlink/tierlink/partners/directory"
)

// shellEnv is an env whose server has cfg changed (branding, zone).
func shellEnv(t *testing.T, d string, change func(*Config)) *env {
	t.Helper()
	e := newEnv(t, d)
	if change == nil {
		return e
	}
	base, _ := url.Parse("http://127.0.0.1:8080")
	cfg := Config{BaseURL: base, QuietAccessLog: true, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	change(&cfg)
	srv, err := New(cfg, testDeps(t, e.f))
	if err != nil {
		t.Fatal(err)
	}
	e.srv = srv
	return e
}

// page GETs path as w and fails unless it answers status.
func (e *env) pageStatus(w who, path string, status int) string {
	e.t.Helper()
	resp, b := e.call(w, "GET", path, "")
	if resp.StatusCode != status {
		e.t.Fatalf("GET %s as %s: %d, want %d\n%.600s", path, w, resp.StatusCode, status, b)
	}
	return string(b)
}

func TestShellNavHighlight(t *testing.T) {
	for _, d := range dbtest.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			e := newEnv(t, d)
			current := regexp.MustCompile(`<a href="([^"]+)" aria-current="page">`)
			for _, c := range []struct {
				name string
				w    who
				path string
				want string
			}{
				{"StaffOrders", wBuyer, "/orders", "/orders"},
				{"StaffDirectoryChild", wBuyer, fmt.Sprintf("/partners/%d", e.f.PartnerA.ID), "/partners"},
				{"StaffSettings", wBuyer, "/settings", "/settings"},
				{"PartnerOwnCompany", wPartner, fmt.Sprintf("/partners/%d", e.f.PartnerA.ID), fmt.Sprintf("/partners/%d", e.f.PartnerA.ID)},
				{"PartnerOrders", wPartner, "/orders", "/orders"},
			} {
				t.Run(c.name, func(t *testing.T) {
					b := e.pageStatus(c.w, c.path, 200)
					nav := b[strings.Index(b, "<nav"):strings.Index(b, "</nav>")]
					m := current.FindAllStringSubmatch(nav, -1)
					if len(m) != 1 || m[0][1] != c.want {
						t.Fatalf("current entries on %s: %v, want just %s", c.path, m, c.want)
					}
				})
			}
			t.Run("EntriesByRole", func(t *testing.T) {
				staffPage := e.pageStatus(wBuyer, "/orders", 200)
				for _, href := range []string{`href="/shipments"`, `href="/partners"`, `href="/staff"`} {
					if !strings.Contains(staffPage, href) {
						t.Errorf("staff nav lacks %s", href)
					}
				}
				partnerPage := e.pageStatus(wPartner, "/orders", 200)
				for _, href := range []string{`href="/shipments"`, `href="/"`, fmt.Sprintf(`href="/partners/%d"`, e.f.PartnerA.ID)} {
					if !strings.Contains(partnerPage, href) {
						t.Errorf("partner nav lacks %s", href)
					}
				}
				if strings.Contains(partnerPage, `href="/staff"`) {
					t.Error("partner nav offers the staff list")
				}
			})
			t.Run("PhoneMenuWithoutJS", func(t *testing.T) {
				b := e.pageStatus(wBuyer, "/orders", 200)
				if !regexp.MustCompile(`<details class="menu">\s*<summary>`).MatchString(b) {
					t.Error("the navigation is not in a <details> menu")
				}
				if !strings.Contains(b, `<a class="skip" href="#main">`) || !strings.Contains(b, `<main id="main"`) {
					t.Error("no skip-to-content link to main")
				}
			})
		})
	}
}

func TestShellNavFunc(t *testing.T) {
	for _, c := range []struct {
		path, href string
		want       bool
	}{
		{"/", "/", true}, {"/orders", "/", false}, {"/orders", "/orders", true}, {"/orders/12", "/orders", true},
		{"/orders-archive", "/orders", false}, {"/partners/3", "/partners/3", true}, {"/partners/31", "/partners/3", false},
	} {
		if got := nav(c.path, c.href) != ""; got != c.want {
			t.Errorf("nav(%q, %q) = %v, want %v", c.path, c.href, got, c.want)
		}
	}
}

func TestShellCSS(t *testing.T) {
	e := newEnv(t, "sqlite3")
	css := e.pageStatus(anon, "/assets/app.css", 200)
	if regexp.MustCompile(`(?m)^\.card\s*\{[^}]*dashed`).MatchString(css) {
		t.Error("the feed's dashed .card rule leaks onto every .card")
	}
	for _, rule := range []string{".crumbs", ".skip", ":focus-visible", ".menu>summary", "min-height:40px"} {
		if !strings.Contains(css, rule) {
			t.Errorf("app.css lacks %s", rule)
		}
	}
}

func TestShellFavicon(t *testing.T) {
	e := newEnv(t, "sqlite3")
	resp, _ := e.call(anon, "GET", "/favicon.ico", "")
	if resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != "/assets/favicon.svg" {
		t.Fatalf("/favicon.ico: %d → %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, b := e.call(anon, "GET", "/assets/favicon.svg", "")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/svg+xml" || !strings.Contains(string(b), "<svg") {
		t.Fatalf("favicon.svg: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if !strings.Contains(e.pageStatus(anon, "/login", 200), `<link rel="icon" href="/assets/favicon.svg"`) {
		t.Error("the layout links no favicon")
	}
}

func TestShellBranding(t *testing.T) {
	logo := []byte(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><rect width="1" height="1"/></svg>`)
	e := shellEnv(t, "sqlite3", func(c *Config) {
		c.CompanyName, c.Logo, c.LogoType = "华星精密 Huaxing", logo, "image/svg+xml"
	})
	login := e.pageStatus(anon, "/login", 200)
	for _, want := range []string{"<h1>华星精密 Huaxing</h1>", `<img src="/branding/logo"`, "<title>", "· 华星精密 Huaxing</title>"} {
		if !strings.Contains(login, want) {
			t.Errorf("login page lacks %q", want)
		}
	}
	header := e.pageStatus(wBuyer, "/orders", 200)
	if !strings.Contains(header, `<a class="brand" href="/"><img src="/branding/logo"`) || !strings.Contains(header, "<span>华星精密 Huaxing</span>") {
		t.Error("header lacks the logo or the company name")
	}
	resp, b := e.call(anon, "GET", "/branding/logo", "")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/svg+xml" || string(b) != string(logo) ||
		!strings.Contains(resp.Header.Get("Content-Security-Policy"), "sandbox") {
		t.Fatalf("/branding/logo: %d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Content-Security-Policy"))
	}
	// Without a logo: the name alone, and no broken image.
	plain := newEnv(t, "sqlite3")
	if b := plain.pageStatus(anon, "/login", 200); strings.Contains(b, "/branding/logo") || !strings.Contains(b, "<h1>Tierlink</h1>") {
		t.Error("without a logo the login page should show the name alone")
	}
	plain.pageStatus(anon, "/branding/logo", 404)
}

func TestShellLoginLanguageSwitch(t *testing.T) {
	e := newEnv(t, "sqlite3")
	login := e.pageStatus(anon, "/login?next=/orders", 200)
	if !strings.Contains(login, `<a href="/login?lang=zh-CN&amp;next=%2forders" lang="zh-CN"`) {
		t.Fatalf("the login page has no language switch keeping next:\n%.2000s", login)
	}
	if !strings.Contains(login, `<html lang="en">`) {
		t.Fatal("login without a choice is not English")
	}
	// Choosing 简体中文 before logging in: the page in Chinese and a
	// cookie that keeps it so, over Accept-Language.
	resp, b := e.call(anon, "GET", "/login?lang=zh-CN", "")
	if resp.StatusCode != 200 || !strings.Contains(string(b), `<html lang="zh-CN">`) || !strings.Contains(string(b), "供应商与合作伙伴协同门户") {
		t.Fatalf("?lang=zh-CN: %d\n%.400s", resp.StatusCode, b)
	}
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == langCookie {
			cookie = c
		}
	}
	if cookie == nil || cookie.Value != "zh-CN" {
		t.Fatalf("no language cookie: %v", resp.Cookies())
	}
	r := e.req(anon, "GET", "/login", "")
	r.AddCookie(cookie)
	r.Header.Set("Accept-Language", "en-US,en")
	b, _ = io.ReadAll(e.do(r).Body)
	if !strings.Contains(string(b), `<html lang="zh-CN">`) {
		t.Fatalf("the cookie did not win over Accept-Language:\n%.400s", b)
	}
	t.Run("ErrUnknownLanguage", func(t *testing.T) {
		if resp, _ := e.call(anon, "GET", "/login?lang=fr", ""); resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("lang=fr: %d", resp.StatusCode)
		}
	})
	t.Run("SavedSettingWinsOverCookie", func(t *testing.T) {
		r := e.req(wBuyer, "GET", "/settings", "")
		r.AddCookie(&http.Cookie{Name: langCookie, Value: "zh-CN"})
		if _, err := e.f.Acc.UpdateMe(e.f.Ctx(e.f.Buyer), accounts.MeInput{Locale: ptr("en")}); err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(e.do(r).Body)
		if !strings.Contains(string(b), `<html lang="en">`) {
			t.Fatal("the cookie beat the saved setting")
		}
	})
	t.Run("HeaderSavesSetting", func(t *testing.T) {
		if !strings.Contains(e.pageStatus(wBuyer, "/orders", 200), `name="locale" value="zh-CN"`) {
			t.Error("the header has no language switch")
		}
		resp, _ := e.call(wBuyer, "POST", "/settings", "locale=zh-CN&next=/orders")
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/orders" {
			t.Fatalf("switch: %d → %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		u, err := e.f.Acc.User(e.f.Ctx(e.f.Admin), e.f.Buyer.ID)
		if err != nil || u.Locale != "zh-CN" {
			t.Fatalf("saved locale = %q, %v", u.Locale, err)
		}
		if b := e.pageStatus(wBuyer, "/orders", 200); !strings.Contains(b, `<html lang="zh-CN">`) {
			t.Error("the saved language is not used")
		}
		resp, _ = e.call(wBuyer, "POST", "/settings", "locale=en&next=//evil.example/")
		if loc := resp.Header.Get("Location"); loc != "/" {
			t.Fatalf("next=//evil.example/ → %q", loc)
		}
	})
}

func TestShellSettingsLanguageByName(t *testing.T) {
	e := newEnv(t, "sqlite3")
	b := e.pageStatus(wBuyer, "/settings", 200)
	for _, want := range []string{">简体中文</option>", ">English</option>", `<select name="time_zone"`, ">Asia/Shanghai (UTC&#43;8)</option>"} {
		if !strings.Contains(b, want) {
			t.Errorf("settings lacks %q", want)
		}
	}
	if strings.Contains(b, ">zh-CN<") || strings.Contains(b, ">en<") {
		t.Error("settings shows a raw language code")
	}
}

func TestShellZoneChain(t *testing.T) {
	for _, d := range dbtest.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			e := shellEnv(t, d, func(c *Config) { c.DisplayZone, _ = time.LoadLocation("Asia/Shanghai") })
			zoneNow := func(w who) string {
				t.Helper()
				m := regexp.MustCompile(`id="zone-now"><time class="nw" datetime="[^"]+">[^<]* (UTC[^<]*)</time>`).FindStringSubmatch(e.pageStatus(w, "/settings", 200))
				if m == nil {
					t.Fatal("settings shows no time")
				}
				return m[1]
			}
			if got := zoneNow(wBuyer); got != "UTC+8" {
				t.Errorf("company zone: %s, want UTC+8", got)
			}
			berlin := "Europe/Berlin"
			if _, err := e.f.Dir.UpdatePartner(e.f.Ctx(e.f.Admin), e.f.PartnerA.ID, directory.PartnerPatch{TimeZone: &berlin}); err != nil {
				t.Fatal(err)
			}
			_, berlinOff := time.Now().In(must(time.LoadLocation(berlin))).Zone()
			wantBerlin := fmt.Sprintf("UTC+%d", berlinOff/3600)
			if got := zoneNow(wPartner); got != wantBerlin {
				t.Errorf("partner's zone: %s, want %s", got, wantBerlin)
			}
			// The user's own setting, through the settings form.
			resp, body := e.call(wPartner, "POST", "/settings", "locale=auto&time_zone=Asia/Kolkata")
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("settings: %d %.300s", resp.StatusCode, body)
			}
			if u, _ := e.f.Acc.User(e.f.Ctx(e.f.Admin), e.f.UserA.ID); u.TimeZone != "Asia/Kolkata" {
				t.Fatalf("stored zone %q", u.TimeZone)
			}
			if got := zoneNow(wPartner); got != "UTC+5:30" {
				t.Errorf("own zone: %s, want UTC+5:30", got)
			}
			// And through PATCH /api/v1/me, back to automatic.
			resp, body = e.call(wPartner, "PATCH", "/api/v1/me", `{"time_zone":"auto"}`)
			if resp.StatusCode != 200 || decode[accounts.User](t, body).TimeZone != "" {
				t.Fatalf("PATCH me: %d %s", resp.StatusCode, body)
			}
			if got := zoneNow(wPartner); got != wantBerlin {
				t.Errorf("after auto: %s, want %s", got, wantBerlin)
			}
			t.Run("ErrBadZone", func(t *testing.T) {
				resp, body := e.call(wBuyer, "PATCH", "/api/v1/me", `{"time_zone":"Mars/Olympus"}`)
				if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(body), "time_zone") {
					t.Fatalf("bad zone: %d %s", resp.StatusCode, body)
				}
				resp, _ = e.call(wBuyer, "POST", "/settings", "locale=auto&time_zone=Mars/Olympus")
				if resp.StatusCode != http.StatusUnprocessableEntity {
					t.Fatalf("bad zone on the form: %d", resp.StatusCode)
				}
			})
			t.Run("FormsReadInReaderZone", func(t *testing.T) {
				// 09:00 typed by a buyer in New York is 14:00 UTC.
				if resp, body := e.call(wBuyer, "PATCH", "/api/v1/me", `{"time_zone":"America/New_York"}`); resp.StatusCode != 200 {
					t.Fatalf("PATCH me: %d %s", resp.StatusCode, body)
				}
				if got := zoneNow(wBuyer); got != "UTC-5" {
					t.Errorf("buyer's own zone: %s", got)
				}
				resp, body := e.call(wBuyer, "POST", "/transfers", fmt.Sprintf("contact_ids=%d&to_owner_id=%d&effective_at=2027-01-05T09:00", e.f.ContactA2.ID, e.f.Buyer2.ID))
				if resp.StatusCode != http.StatusSeeOther {
					t.Fatalf("transfer form: %d %.400s", resp.StatusCode, body)
				}
				ts, err := e.f.Dir.ListTransfers(e.f.Ctx(e.f.Admin), directory.TransferFilter{ContactID: e.f.ContactA2.ID, State: "pending"})
				if err != nil || len(ts.Items) != 1 {
					t.Fatalf("pending transfers: %+v %v", ts, err)
				}
				if got, want := ts.Items[0].EffectiveAt.UTC(), time.Date(2027, 1, 5, 14, 0, 0, 0, time.UTC); !got.Equal(want) {
					t.Errorf("effective_at stored %v, want %v", got, want)
				}
			})
		})
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestShellStaffReactivate(t *testing.T) {
	for _, d := range dbtest.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			e := newEnv(t, d)
			active := func(id int) bool {
				u, err := e.f.Acc.User(e.f.Ctx(e.f.Admin), id)
				if err != nil {
					t.Fatal(err)
				}
				return u.Active
			}
			deactivate := func() {
				if _, err := e.f.Acc.Deactivate(e.f.Ctx(e.f.Admin), e.f.Buyer2.ID, accounts.DeactivateInput{HeirID: e.f.Buyer.ID}); err != nil {
					t.Fatal(err)
				}
			}
			deactivate()
			path := fmt.Sprintf("/staff/%d", e.f.Buyer2.ID)
			t.Run("PageButton", func(t *testing.T) {
				b := e.pageStatus(wAdmin, path, 200)
				if !strings.Contains(b, fmt.Sprintf(`action="/staff/%d/reactivate"`, e.f.Buyer2.ID)) {
					t.Fatal("a deactivated user's page offers no reactivation")
				}
				resp, _ := e.call(wAdmin, "POST", path+"/reactivate", "x=1")
				if resp.StatusCode != http.StatusSeeOther || !active(e.f.Buyer2.ID) {
					t.Fatalf("page reactivate: %d, active %v", resp.StatusCode, active(e.f.Buyer2.ID))
				}
				resp, _ = e.call(wAdmin, "POST", path+"/reactivate", "x=1")
				if resp.StatusCode != http.StatusConflict {
					t.Fatalf("reactivating an active user: %d", resp.StatusCode)
				}
			})
			t.Run("API", func(t *testing.T) {
				deactivate()
				resp, body := e.call(wBuyer, "POST", fmt.Sprintf("/api/v1/users/%d/reactivate", e.f.Buyer2.ID), "")
				if resp.StatusCode != http.StatusForbidden || active(e.f.Buyer2.ID) {
					t.Fatalf("buyer reactivates: %d %s", resp.StatusCode, body)
				}
				resp, body = e.call(wAdmin, "POST", fmt.Sprintf("/api/v1/users/%d/reactivate", e.f.Buyer2.ID), "")
				if resp.StatusCode != 200 || !decode[accounts.User](t, body).Active || !active(e.f.Buyer2.ID) {
					t.Fatalf("admin reactivates: %d %s", resp.StatusCode, body)
				}
			})
		})
	}
}

func TestShellSelfDeactivate(t *testing.T) {
	for _, d := range dbtest.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			e := newEnv(t, d)
			self := fmt.Sprintf("/staff/%d", e.f.Admin.ID)
			stillActive := func() {
				t.Helper()
				if u, err := e.f.Acc.User(e.f.Ctx(e.f.Admin), e.f.Admin.ID); err != nil || !u.Active {
					t.Fatalf("the admin was deactivated: %+v %v", u, err)
				}
			}
			t.Run("API", func(t *testing.T) {
				resp, body := e.call(wAdmin, "POST", "/api/v1/users/"+fmt.Sprint(e.f.Admin.ID)+"/deactivate", fmt.Sprintf(`{"heir_id":%d}`, e.f.Buyer.ID))
				p := decode[Problem](t, body)
				if resp.StatusCode != http.StatusConflict || len(p.Errors) != 1 || p.Errors[0].Field != "id" {
					t.Fatalf("API self-deactivation: %d %s", resp.StatusCode, body)
				}
				stillActive()
			})
			t.Run("PageOffersNoForm", func(t *testing.T) {
				b := e.pageStatus(wAdmin, self, 200)
				if strings.Contains(b, "deactivate-link") || strings.Contains(b, "deactivate-form") || !strings.Contains(b, `id="self-note"`) {
					t.Fatal("an admin's own page offers deactivation")
				}
				if resp, _ := e.call(wAdmin, "GET", self+"/deactivate", ""); resp.StatusCode != http.StatusSeeOther {
					t.Fatalf("own confirmation page: %d", resp.StatusCode)
				}
			})
			t.Run("PagePostRefusedInChinese", func(t *testing.T) {
				if _, err := e.f.Acc.UpdateMe(e.f.Ctx(e.f.Admin), accounts.MeInput{Locale: ptr("zh-CN")}); err != nil {
					t.Fatal(err)
				}
				resp, b := e.call(wAdmin, "POST", self+"/deactivate", fmt.Sprintf("heir_id=%d", e.f.Buyer.ID))
				if resp.StatusCode != http.StatusConflict || !strings.Contains(string(b), "这是您自己的账号，须由其他管理员停用。") ||
					!strings.Contains(string(b), `data-field="id"`) {
					t.Fatalf("page self-deactivation: %d\n%.1500s", resp.StatusCode, b)
				}
				stillActive()
			})
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestShellDeactivateConfirm(t *testing.T) {
	for _, d := range dbtest.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			e := newEnv(t, d)
			user := fmt.Sprintf("/staff/%d", e.f.Buyer.ID)
			b := e.pageStatus(wAdmin, user, 200)
			if strings.Contains(b, "<form method=\"post\" action=\""+user+"/deactivate\"") {
				t.Fatal("the user page posts a deactivation without a confirmation step")
			}
			if !strings.Contains(b, `href="`+user+`/deactivate"`) {
				t.Fatal("the user page does not link to the confirmation")
			}
			if !strings.Contains(b, `<nav class="crumbs" aria-label="Breadcrumbs"><ol><li><a href="/staff">`) || !strings.Contains(b, `aria-current="page">`+e.f.Buyer.Name+`</li>`) {
				t.Error("no breadcrumbs on the user page")
			}
			confirm := e.pageStatus(wAdmin, user+"/deactivate", 200)
			for _, want := range []string{"Please confirm.", "they can no longer log in", "hand every contact they own to the heir", `action="` + user + `/deactivate"`, `id="deactivate-confirm"`} {
				if !strings.Contains(confirm, want) {
					t.Errorf("confirmation page lacks %q", want)
				}
			}
			resp, body := e.call(wAdmin, "POST", user+"/deactivate", fmt.Sprintf("heir_id=%d", e.f.Buyer2.ID))
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("confirmed deactivation: %d %.400s", resp.StatusCode, body)
			}
			u, err := e.f.Acc.User(e.f.Ctx(e.f.Admin), e.f.Buyer.ID)
			if err != nil || u.Active {
				t.Fatalf("after confirmation: %+v %v", u, err)
			}
			if n, _ := e.f.Dir.ListContacts(e.f.Ctx(e.f.Admin), directory.ContactFilter{OwnerID: e.f.Buyer.ID, Limit: 10}); len(n.Items) != 0 {
				t.Errorf("%d contacts left with the leaver", len(n.Items))
			}
			// A deactivated user has nothing to confirm.
			if resp, _ := e.call(wAdmin, "GET", user+"/deactivate", ""); resp.StatusCode != http.StatusSeeOther {
				t.Errorf("confirmation of a deactivated user: %d", resp.StatusCode)
			}
		})
	}
}
