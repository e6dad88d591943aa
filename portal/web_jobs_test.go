package portal

import (
	"strings"
	"testing"

	"entgo.io/ent/dialect"
)

// Schedules and job descriptions read in the reader's language, not as
// cron strings or the English in jobs.Standard.
func TestJobPagesWordSchedules(t *testing.T) {
	e := newEnv(t, dialect.SQLite)
	get := func(t *testing.T, path, lang string) string {
		t.Helper()
		r := e.req(wAdmin, "GET", path, "")
		r.Header.Set("Accept-Language", lang)
		resp := e.do(r)
		defer resp.Body.Close()
		var b strings.Builder
		buf := make([]byte, 32<<10)
		for {
			n, err := resp.Body.Read(buf)
			b.Write(buf[:n])
			if err != nil {
				break
			}
		}
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d", path, resp.StatusCode)
		}
		return b.String()
	}
	for _, c := range []struct{ lang, want, about string }{
		{"en", "every day at 07:00", "Warns partners&#39; groups 30, 7 and 0 days"},
		{"zh-CN", "每天 07:00", "在证书到期前 30 天"},
	} {
		t.Run(c.lang, func(t *testing.T) {
			page := get(t, "/admin/jobs", c.lang)
			row := page[strings.Index(page, `id="job-certificate-expiry"`):]
			row = row[:strings.Index(row, "</tr>")]
			if !strings.Contains(row, ">"+c.want+"<") || !strings.Contains(row, c.about) {
				t.Errorf("row does not read %q / %q:\n%s", c.want, c.about, row)
			}
			if strings.Contains(page, "<code>0 7 * * *</code>") {
				t.Errorf("cron text shown")
			}
			job := get(t, "/admin/jobs/certificate-expiry", c.lang)
			if !strings.Contains(job, ">"+c.want+"<") || !strings.Contains(job, c.about) {
				t.Errorf("job page does not read %q / %q", c.want, c.about)
			}
		})
	}
}
