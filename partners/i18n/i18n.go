// Package i18n is Tierlink's one message catalogue: the text of pages,
// system posts, cards, digests, reminders and chat bridges, in every
// language Tierlink speaks, with plural rules (go-i18n and CLDR). Text is
// looked up by key; nothing else in Tierlink pairs English with Chinese.
package i18n

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

// Languages Tierlink speaks; English is the fallback.
const (
	English = "en"
	Chinese = "zh-CN"
)

// Languages lists the languages of the catalogue, the fallback first.
func Languages() []string { return []string{English, Chinese} }

//go:embed active.*.json
var files embed.FS

var (
	bundle = goi18n.NewBundle(language.English)
	// keys holds each language's message keys, including the ones whose
	// text is empty (go-i18n keeps no template for those).
	keys       = map[string]map[string]bool{}
	localizers = map[string]*Localizer{}
)

func init() {
	for _, lang := range Languages() {
		name := "active." + lang + ".json"
		buf, err := files.ReadFile(name)
		if err != nil {
			panic(err)
		}
		bundle.MustParseMessageFileBytes(buf, name)
		var raw map[string]json.RawMessage
		if err := json.Unmarshal(buf, &raw); err != nil {
			panic(fmt.Sprintf("i18n: %s: %v", name, err))
		}
		keys[lang] = map[string]bool{}
		for k := range raw {
			keys[lang][k] = true
		}
	}
	for _, lang := range Languages() {
		localizers[lang] = &Localizer{lang: lang, l: goi18n.NewLocalizer(bundle, lang)}
	}
}

// Keys lists a language's message keys, sorted.
func Keys(lang string) []string {
	out := make([]string, 0, len(keys[lang]))
	for k := range keys[lang] {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Has reports whether lang's catalogue has key.
func Has(lang, key string) bool { return keys[lang][key] }

// Localizer renders catalogue messages in one language.
type Localizer struct {
	lang string
	l    *goi18n.Localizer
}

// For is the localizer of lang: an exact catalogue language, or the one
// a BCP 47 tag such as "zh", "zh-Hans-CN" or "en-GB" falls to; English
// for anything else.
func For(lang string) *Localizer {
	if l, ok := localizers[lang]; ok {
		return l
	}
	if strings.HasPrefix(strings.ToLower(lang), "zh") {
		return localizers[Chinese]
	}
	return localizers[English]
}

// Lang is the localizer's language.
func (l *Localizer) Lang() string { return l.lang }

// T is the text of key filled with data (a struct or a map of template
// fields), falling back to English, then to the key itself so a missing
// key shows rather than blanks the page (the catalogue test keeps that
// from shipping).
func (l *Localizer) T(key string, data any) string {
	return l.localize(&goi18n.LocalizeConfig{MessageID: key, TemplateData: data}, key)
}

// N is the plural form of key for count, filled with data; the template
// reads the count as {{.Count}} when data is nil or a map without it.
func (l *Localizer) N(key string, count int, data map[string]any) string {
	d := map[string]any{"Count": count}
	for k, v := range data {
		d[k] = v
	}
	return l.localize(&goi18n.LocalizeConfig{MessageID: key, TemplateData: d, PluralCount: count}, key)
}

func (l *Localizer) localize(lc *goi18n.LocalizeConfig, key string) string {
	s, err := l.l.Localize(lc)
	if err == nil {
		return s
	}
	// A key whose text is empty on purpose has no template in go-i18n.
	var nf *goi18n.MessageNotFoundErr
	if errors.As(err, &nf) && (keys[l.lang][key] || keys[English][key]) {
		return s
	}
	if s != "" {
		return s
	}
	return key
}

type ctxKey struct{}

// WithLanguage carries the reader's language in ctx, so what a service
// returns for display (a feed, a card) is rendered in it.
func WithLanguage(ctx context.Context, lang string) context.Context {
	return context.WithValue(ctx, ctxKey{}, For(lang).Lang())
}

// FromContext is the localizer of the reader's language in ctx, English
// when none was set.
func FromContext(ctx context.Context) *Localizer {
	lang, _ := ctx.Value(ctxKey{}).(string)
	return For(lang)
}
