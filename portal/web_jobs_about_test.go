package portal

import (
	"testing"

	"github.com/tierlink/tierlink/jobs"
	"github.com/tierlink/tierlink/partners/i18n"
)

// Every standard job says what it does in each language of the
// catalogue: the jobs page shows the description, and a job added with
// only its English About would be English inside the Chinese page.
func TestEveryJobDescribedInTheCatalogue(t *testing.T) {
	js, err := jobs.Standard(jobs.Services{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range i18n.Languages() {
		l := &locale{l: i18n.For(lang)}
		for _, j := range js {
			if got := l.JobAbout(j.Name, "\x00"); got == "\x00" {
				t.Errorf("%s: no page.job_about_%s in the catalogue", lang, j.Name)
			}
		}
	}
}
