package portal

import (
	"fmt"
	"math"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/tierlink/tierlink/partners/orders"
	"github.com/tierlink/tierlink/partners/todo"
)

// homePages is the first page after logging in: what waits for the
// reader's answer, by role (partners/todo decides what is due).
func (s *Server) homePages() []pageRoute {
	return []pageRoute{
		{Method: "GET", Path: "/", Access: authed, Handler: s.homePage},
	}
}

// todo is the to-do service; it holds no state of its own, so one per
// request costs nothing and needs no wiring of its own in Deps.
func (s *Server) todo() *todo.Service { return todo.New(s.deps.DB.Client, s.deps.Scorecards) }

// homeView is the home page: the to-do lists and the words for their
// SLAs in the reader's language.
type homeView struct {
	todo.ToDo
	// PartnerID is the partner user's own partner, for its company page.
	PartnerID int
	l         *locale
}

// SLA says how long an order has left to be answered, or how long it is
// overdue, in words: "due in 5 h", "overdue by 2 days".
func (h homeView) SLA(o todo.OrderItem) string {
	return slaWords(h.l, o.DueAt.Sub(h.AsOf))
}

// More reports whether a list holds more than it shows.
func (h homeView) More(count, shown int) bool { return count > shown }

// Qty shows a quantity in thousandths as the order shows it.
func (h homeView) Qty(v int64) string { return orders.Qty(v).String() }

// Signed shows a score change with its sign: "+7", "−12".
func (h homeView) Signed(d float64) string {
	if d >= 0 {
		return fmt.Sprintf("+%.0f", d)
	}
	return fmt.Sprintf("−%.0f", -d)
}

// slaWords is left (negative when overdue) in minutes under an hour,
// hours under two days, else days, rounded to the nearest, with the
// catalogue's plurals.
func slaWords(l *locale, left time.Duration) string {
	key := "page.home_due_in"
	if left <= 0 {
		key, left = "page.home_overdue_by", -left
	}
	switch {
	case left < time.Hour:
		return l.l.N(key+"_min", max(1, int(math.Ceil(left.Minutes()))), nil)
	case left < 48*time.Hour:
		return l.l.N(key+"_hours", int(math.Round(left.Hours())), nil)
	}
	return l.l.N(key+"_days", int(math.Round(left.Hours()/24)), nil)
}

func (s *Server) homePage(c *fiber.Ctx) error {
	t, err := s.todo().For(c.UserContext())
	if err != nil {
		return err
	}
	saved := ""
	if sess := currentSession(c); sess != nil {
		saved = sess.Locale
	}
	return s.render(c, "home", "home", homeView{ToDo: t, PartnerID: currentViewer(c).PartnerID, l: pickLocale(c, saved)})
}
