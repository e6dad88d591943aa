package i18n

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestCatalogueLanguagesHaveTheSameKeys(t *testing.T) {
	en := Keys(English)
	if len(en) < 100 {
		t.Fatalf("only %d English keys: the catalogue did not load", len(en))
	}
	for _, lang := range Languages()[1:] {
		other := Keys(lang)
		for _, k := range en {
			if !Has(lang, k) {
				t.Errorf("%s lacks %q", lang, k)
			}
		}
		for _, k := range other {
			if !Has(English, k) {
				t.Errorf("%s has %q, which English lacks", lang, k)
			}
		}
	}
}

// keyUses finds message keys written literally in code: i18n.M("…"),
// i18n.N("…", n), l.T("…", …), l.N("…", …) anywhere, and page keys
// (T "…" in templates, .T("…") in the portal), which the portal looks up
// as "page.…".
var keyUses = []struct {
	re     *regexp.Regexp
	prefix string
	portal bool
}{
	{re: regexp.MustCompile(`\bi18n\.[MN]\("([^"]+)"`)},
	{re: regexp.MustCompile(`\.(?:T|N)\("([a-z_]+\.[a-z_.]+)"`)},
	{re: regexp.MustCompile(`\.T\("([^".]+)"\)`), prefix: "page.", portal: true},
	{re: regexp.MustCompile(`\.T "([^"]+)"`), prefix: "page.", portal: true},
}

// domainKeyLiteral matches any string literal shaped like a key of the
// catalogue's own namespaces (post., digest., …), wherever code passes
// it: straight to i18n.M, or through a helper such as a digest section.
func domainKeyLiteral() *regexp.Regexp {
	ns := map[string]bool{}
	for _, k := range Keys(English) {
		if before, _, ok := strings.Cut(k, "."); ok && before != "page" {
			ns[before] = true
		}
	}
	names := make([]string, 0, len(ns))
	for n := range ns {
		names = append(names, regexp.QuoteMeta(n))
	}
	slices.Sort(names)
	return regexp.MustCompile(`"((?:` + strings.Join(names, "|") + `)\.[a-z_]+)"`)
}

func TestEveryKeyUsedInCodeExists(t *testing.T) {
	root := filepath.Join("..", "..")
	seen := 0
	uses := append(keyUses, struct {
		re     *regexp.Regexp
		prefix string
		portal bool
	}{re: domainKeyLiteral()})
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); name == "ent" || name == ".git" || name == "node_modules" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, ".html") {
			return nil
		}
		if strings.HasSuffix(path, "_test.go") {
			return nil
		}
		buf, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		inPortal := strings.HasPrefix(filepath.ToSlash(path), "../../portal/")
		for _, u := range uses {
			if u.portal && !inPortal {
				continue
			}
			for _, m := range u.re.FindAllStringSubmatch(string(buf), -1) {
				key := u.prefix + m[1]
				seen++
				for _, lang := range Languages() {
					if !Has(lang, key) {
						t.Errorf("%s uses %q, which %s lacks", path, key, lang)
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen < 50 {
		t.Errorf("found only %d key uses: the scan no longer matches how code names keys", seen)
	}
}

func TestPlurals(t *testing.T) {
	cases := []struct {
		name, lang string
		count      int
		want       string
	}{
		{"OneLine", English, 1, "Shipment S-1 announced (1 line)."},
		{"TwoLines", English, 2, "Shipment S-1 announced (2 lines)."},
		{"ChineseOneForm", Chinese, 1, "发货通知 S-1（1 行）。"},
		{"ChineseOneFormMany", Chinese, 2, "发货通知 S-1（2 行）。"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := For(c.lang).Render(N("feed.shipment_created", c.count).With("Number", "S-1"))
			if got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}

func TestMessageRoundTripsThroughJSON(t *testing.T) {
	at := time.Date(2026, 3, 9, 8, 30, 0, 0, time.FixedZone("CST", 8*3600))
	items := []Message{}
	for _, n := range []string{"PO-1", "PO-2", "PO-3", "PO-4", "PO-5", "PO-6", "PO-7"} {
		items = append(items, M("digest.item_age").With("Number", n).With("Age", N("age.days", 2)))
	}
	ls := Lines{
		M("digest.head").With("Partner", "Acme").With("When", At(at, "layout.tick")),
		N("digest.awaiting", len(items)).With("Items", items),
	}
	buf, err := json.Marshal(ls)
	if err != nil {
		t.Fatal(err)
	}
	back, err := DecodeLines(buf)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		English: "Status digest for Acme, Mon 9 Mar 08:30\n• 7 orders awaiting acknowledgement: PO-1 (2 d), PO-2 (2 d), PO-3 (2 d), PO-4 (2 d), PO-5 (2 d) and 2 more",
		Chinese: "Acme 状态摘要，3月9日 08:30\n• 7 个订单等待确认：PO-1（2 天）、PO-2（2 天）、PO-3（2 天）、PO-4（2 天）、PO-5（2 天） 等另外 2 项",
	}
	for lang, w := range want {
		if got := For(lang).RenderLines(back); got != w {
			t.Errorf("%s:\n got %q\nwant %q", lang, got, w)
		}
	}
}

func TestLocalizerFallbacks(t *testing.T) {
	if got := For("zh-Hans-CN").Lang(); got != Chinese {
		t.Errorf("zh-Hans-CN → %s", got)
	}
	if got := For("fr").Lang(); got != English {
		t.Errorf("fr → %s", got)
	}
	if got := For(Chinese).T("page.st_", nil); got != "" {
		t.Errorf("an empty message renders %q", got)
	}
	if got := For(Chinese).T("no.such.key", nil); got != "no.such.key" {
		t.Errorf("a missing key renders %q", got)
	}
	if !slices.Equal(Languages(), []string{English, Chinese}) {
		t.Errorf("languages %v", Languages())
	}
}
