package groups

import (
	"context"
	"regexp"
	"strings"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/user"
	"github.com/tierlink/tierlink/partners/i18n"
)

// people names the persons the feed, its cards and the bridges page
// show. Events, and posts and deliveries written before the feed named
// people, recorded who acted by e-mail address (the viewer's label);
// people turns each back into the user's name, and leaves a label that
// names no user (a job, the demo, a name already) as it is. One people
// serves one read, caching what it looked up.
type people struct {
	ctx     context.Context
	c       *ent.Client
	byEmail map[string]string
	byID    map[int]string
}

func newPeople(ctx context.Context, c *ent.Client) *people {
	return &people{ctx: ctx, c: c, byEmail: map[string]string{}, byID: map[int]string{}}
}

// label is how a recorded actor label is shown: the user's name for a
// user's e-mail address, else the label itself.
func (p *people) label(l string) string {
	if !strings.Contains(l, "@") {
		return l
	}
	if n, ok := p.byEmail[l]; ok {
		return n
	}
	n := l
	if u, err := p.c.User.Query().Where(user.EmailEqualFold(strings.TrimSpace(l))).First(p.ctx); err == nil && u.Name != "" {
		n = u.Name
	}
	p.byEmail[l] = n
	return n
}

// author is how a message's author is shown: the writing user's name
// now, else what the post recorded, named if it is an address.
func (p *people) author(id *int, recorded string) string {
	if id == nil {
		return p.label(recorded)
	}
	if n, ok := p.byID[*id]; ok {
		return n
	}
	n := p.label(recorded)
	if u, err := p.c.User.Query().Where(user.ID(*id)).Only(p.ctx); err == nil && u.Name != "" {
		n = u.Name
	}
	p.byID[*id] = n
	return n
}

// lines is ls with every actor argument named: posts written before
// events were projected with names stored the address as the Actor.
func (p *people) lines(ls i18n.Lines) i18n.Lines {
	out := make(i18n.Lines, len(ls))
	for i, m := range ls {
		if a, ok := m.Args["Actor"]; ok && a.Text != "" {
			a.Text = p.label(a.Text)
			m = m.With("Actor", a)
		}
		out[i] = m
	}
	return out
}

// address finds e-mail addresses in text Tierlink wrote itself.
var address = regexp.MustCompile(`[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+`)

// text is a text Tierlink wrote itself (never a member's message) with
// each user's address replaced by the user's name: the fallback for
// stored texts that have nothing structured to render from.
func (p *people) text(s string) string {
	if !strings.Contains(s, "@") {
		return s
	}
	return address.ReplaceAllStringFunc(s, p.label)
}
