package portal

import (
	"fmt"
	"html/template"
	"math"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/tierlink/tierlink/ent/changerequest"
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
	zone      *time.Location
}

// todoSection is one list of the home page, all drawn by one template.
type todoSection struct {
	// ID names the section (#todo-<ID>) and its heading (#h-<ID>).
	ID string
	// Head is the heading's catalogue key.
	Head  string
	Count int
	Rows  []todoRow
	// SeeAll is the full list, shown when the section holds fewer rows
	// than Count.
	SeeAll string
}

// todoRow is one item, one tap from its action.
type todoRow struct {
	Href, Main string
	// Side is the SLA, state or date on the right, Class its classes.
	Side   template.HTML
	Class  string
	Meta   template.HTML
	Action string
	Mine   bool
	// Order is the awaiting order's id (data-order), for scripts and tests.
	Order int
}

// Sections are the role's lists that hold something, in the order the
// role works through them.
func (h homeView) Sections(role todo.Role) []todoSection {
	t := h.l.T
	when := func(v time.Time) template.HTML { return timeHTML(v, h.l.zone(h.zone)) }
	meta := func(parts ...template.HTML) template.HTML {
		var out template.HTML
		for _, p := range parts {
			if p == "" {
				continue
			}
			if out != "" {
				out += " · "
			}
			out += p
		}
		return out
	}
	text := func(s string) template.HTML { return template.HTML(template.HTMLEscapeString(s)) } //nolint:gosec // escaped here
	mine := func(m bool) template.HTML {
		if m {
			return text(t("home_mine"))
		}
		return ""
	}
	late := func(l bool) string {
		if l {
			return "todo-sla todo-late"
		}
		return "todo-sla"
	}
	var out []todoSection
	add := func(s todoSection) {
		if s.Count > 0 {
			out = append(out, s)
		}
	}
	switch role {
	case todo.RolePartner:
		s := todoSection{ID: "awaiting", Head: "home_awaiting", Count: h.AwaitingAnswer.Count}
		for _, o := range h.AwaitingAnswer.Items {
			s.Rows = append(s.Rows, todoRow{Href: fmt.Sprintf("/orders/%d#ack-form", o.OrderID), Main: o.Number, Order: o.OrderID,
				Side: text(h.SLA(o)), Class: late(o.Overdue), Action: t("home_answer"),
				Meta: meta(text(t("home_published"))+" "+when(o.PublishedAt), text(fmt.Sprintf("%s %d", t("home_pending_lines"), o.PendingLines)))})
		}
		if h.More(s.Count, len(s.Rows)) {
			s.SeeAll = "/orders?status=published"
		}
		add(s)
		s = todoSection{ID: "shipments", Head: "home_shipments_due", Count: h.ShipmentsDue.Count}
		for _, sh := range h.ShipmentsDue.Items {
			r := todoRow{Href: fmt.Sprintf("/shipments/%d#update-form", sh.ShipmentID), Main: shipmentName(sh),
				Side: text(t("home_" + sh.Reason)), Class: late(true), Action: t("post_update")}
			m := text(t("s_" + string(sh.Status)))
			if sh.ETA != nil {
				m = meta(m, text(t("home_eta"))+" "+dateHTML(*sh.ETA))
			}
			if sh.LastEventAt != nil {
				m = meta(m, text(t("home_last_update"))+" "+when(*sh.LastEventAt))
			}
			r.Meta = m
			s.Rows = append(s.Rows, r)
		}
		add(s)
		s = todoSection{ID: "decisions", Head: "home_decisions", Count: h.Decisions.Count}
		for _, cr := range h.Decisions.Items {
			r := todoRow{Href: fmt.Sprintf("/orders/%d", cr.OrderID), Main: fmt.Sprintf("%s · %s #%d", cr.OrderNumber, t("change_request"), cr.ChangeRequestID),
				Side: text(t("cr_" + string(cr.State))), Class: "todo-state cr-" + string(cr.State), Action: t("open_link"), Meta: when(cr.CreatedAt)}
			if cr.State == changerequest.StateOpen {
				r.Side = text(t("home_awaiting_buyer"))
			}
			if cr.DecidedAt != nil {
				r.Meta = meta(when(*cr.DecidedAt), text(cr.DecisionReason))
			}
			s.Rows = append(s.Rows, r)
		}
		add(s)
		s = todoSection{ID: "certificates", Head: "home_certificates", Count: h.Certificates.Count}
		for _, d := range h.Certificates.Items {
			key := "home_expires_on"
			if d.Expired {
				key = "home_expired_on"
			}
			s.Rows = append(s.Rows, todoRow{Href: fmt.Sprintf("/documents/%d", d.DocumentID), Main: d.Title,
				Side: text(t(key)) + " " + dateHTML(d.ExpiresOn), Class: late(d.Expired), Action: t("home_upload_new")})
		}
		add(s)
	case todo.RoleBuyer:
		s := todoSection{ID: "decide", Head: "home_to_decide", Count: h.ToDecide.Count}
		for _, cr := range h.ToDecide.Items {
			s.Rows = append(s.Rows, todoRow{Href: fmt.Sprintf("/orders/%d", cr.OrderID), Main: cr.OrderNumber + " · " + cr.PartnerName, Mine: cr.Mine,
				Action: t("home_decide"), Meta: meta(text(fmt.Sprintf("%s #%d", t("change_request"), cr.ChangeRequestID)), when(cr.CreatedAt), mine(cr.Mine))})
		}
		if h.More(s.Count, len(s.Rows)) {
			s.SeeAll = "/change-requests"
		}
		add(s)
		s = todoSection{ID: "receipts", Head: "home_receipts", Count: h.Receipts.Count}
		for _, sh := range h.Receipts.Items {
			m := text(t("s_delivered"))
			if sh.LastEventAt != nil {
				m += " " + when(*sh.LastEventAt)
			}
			s.Rows = append(s.Rows, todoRow{Href: fmt.Sprintf("/shipments/%d#update-form", sh.ShipmentID), Main: shipmentName(sh) + " · " + sh.PartnerName,
				Mine: sh.Mine, Action: t("home_confirm_receipt"), Meta: meta(m, mine(sh.Mine))})
		}
		add(s)
		s = todoSection{ID: "past-sla", Head: "home_past_sla", Count: h.PastSLA.Count}
		for _, o := range h.PastSLA.Items {
			s.Rows = append(s.Rows, todoRow{Href: fmt.Sprintf("/orders/%d", o.OrderID), Main: o.Number + " · " + o.PartnerName, Mine: o.Mine,
				Side: text(h.SLA(o)), Class: late(true), Action: t("open_link"),
				Meta: meta(text(t("home_published"))+" "+when(o.PublishedAt), mine(o.Mine))})
		}
		add(s)
		s = todoSection{ID: "late", Head: "home_late_lines", Count: h.Late.Count}
		for _, ln := range h.Late.Items {
			s.Rows = append(s.Rows, todoRow{Href: fmt.Sprintf("/orders/%d", ln.OrderID), Main: fmt.Sprintf("%s #%d · %s", ln.OrderNumber, ln.LineNo, ln.ItemCode),
				Mine: ln.Mine, Side: text(t("home_due_on")) + " " + dateHTML(ln.DueOn), Class: late(true), Action: t("open_link"),
				Meta: meta(text(ln.PartnerName), text(t("home_open_qty")+" "+h.Qty(ln.Open)+" "+ln.Unit), mine(ln.Mine))})
		}
		add(s)
	}
	return out
}

// shipmentName is the shipment's number, or its id when it has none.
func shipmentName(s todo.ShipmentItem) string {
	if s.Number != "" {
		return s.Number
	}
	return fmt.Sprintf("#%d", s.ShipmentID)
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
	return s.render(c, "home", "home", homeView{ToDo: t, PartnerID: currentViewer(c).PartnerID, l: pickLocale(c, saved), zone: s.zoneOf(c)})
}
