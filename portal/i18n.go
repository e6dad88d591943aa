package portal

import (
	"context"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/tierlink/tierlink/partners/i18n"
)

// locale translates page text from the one catalogue (partners/i18n);
// page keys are the English text's short name, kept in the catalogue
// under "page.".
type locale struct {
	Lang string
	l    *i18n.Localizer
	// Zone is the reader's time zone; nil shows the company's.
	Zone *time.Location
}

// zone is the reader's zone, or def.
func (l *locale) zone(def *time.Location) *time.Location {
	if l.Zone != nil {
		return l.Zone
	}
	return def
}

// T returns the text for key, falling back to English, then to the key.
func (l *locale) T(key string) string {
	if s := l.l.T("page."+key, nil); s != "page."+key {
		return s
	}
	return key
}

var locales = map[string]*locale{
	i18n.English: {Lang: i18n.English, l: i18n.For(i18n.English)},
	i18n.Chinese: {Lang: i18n.Chinese, l: i18n.For(i18n.Chinese)},
}

// readerLanguage carries the reader's language (the saved setting, then
// Accept-Language) in ctx, so services render system posts and cards in
// it.
func readerLanguage(ctx context.Context, c *fiber.Ctx, saved string) context.Context {
	return i18n.WithLanguage(ctx, pickLocale(c, saved).Lang)
}

// localeHintKey holds, in a request's locals, the language a page about
// someone else's link should be in when the reader has none of their own
// (a mailed link's user's).
type localeHintKey struct{}

// langCookie remembers the language a visitor chose with the language
// switch, before (or without) logging in.
const langCookie = "tierlink_lang"

// pickLocale prefers the user's saved setting, then the language chosen
// with the switch (?lang= on this request, else the cookie it left),
// then Accept-Language.
func pickLocale(c *fiber.Ctx, saved string) *locale {
	if l, ok := locales[saved]; ok {
		return l
	}
	if l, ok := locales[c.Query("lang")]; ok {
		return l
	}
	if l, ok := locales[c.Cookies(langCookie)]; ok {
		return l
	}
	for _, part := range strings.Split(c.Get(fiber.HeaderAcceptLanguage), ",") {
		tag := strings.ToLower(strings.TrimSpace(strings.Split(part, ";")[0]))
		switch {
		case strings.HasPrefix(tag, "zh"):
			return locales["zh-CN"]
		case strings.HasPrefix(tag, "en"):
			return locales["en"]
		}
	}
	return locales["en"]
}
