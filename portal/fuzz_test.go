package portal

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/tierlink/tierlink/partners"
	"github.com/tierlink/tierlink/partners/directory"
)

// FuzzBind sends arbitrary bodies through the strict JSON binder: the
// answer is a value or a 400/415/422-class error, never a panic or a 500.
func FuzzBind(f *testing.F) {
	for _, s := range []string{`{"code":"A","name":"B","kind":"supplier"}`, `{`, `[]`, `{"tier":"x"}`, `{"tags":[1]}`,
		`{"unknown":1}`, `{} {}`, `null`, `{"code":"` + strings.Repeat("a", 100) + `"}`, "\xff"} {
		f.Add(s)
	}
	app := fiber.New()
	app.Post("/", func(c *fiber.Ctx) error {
		_, err := bind[directory.PartnerInput](c)
		if err == nil {
			return c.SendStatus(200)
		}
		if _, ok := err.(badRequest); ok {
			return c.SendStatus(400)
		}
		if _, ok := err.(*fiber.Error); ok {
			return c.SendStatus(415)
		}
		if partners.ErrorCode(err) == partners.EInvalid {
			return c.SendStatus(422)
		}
		return c.SendStatus(500)
	})
	f.Fuzz(func(t *testing.T, body string) {
		r := httptest.NewRequest("POST", "/", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		resp, err := app.Test(r, -1)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode == 500 {
			t.Fatalf("body %q: uncoded error", body)
		}
	})
}

// FuzzQuery does the same for query strings.
func FuzzQuery(f *testing.F) {
	for _, s := range []string{"q=hua", "limit=x", "limit=999999999999999999999", "tier=2&kind=supplier", "%zz", "a=1&a=2", "cursor=!!!"} {
		f.Add(s)
	}
	app := fiber.New()
	app.Get("/", func(c *fiber.Ctx) error {
		_, err := bindQuery[directory.PartnerFilter](c)
		if err != nil && partners.ErrorCode(err) != partners.EInvalid {
			return c.SendStatus(500)
		}
		return c.SendStatus(200)
	})
	f.Fuzz(func(t *testing.T, q string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.URL.RawQuery = q
		resp, err := app.Test(r, -1)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode == 500 {
			t.Fatalf("query %q: uncoded error", q)
		}
	})
}
