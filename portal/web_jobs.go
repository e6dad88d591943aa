package portal

import (
	"fmt"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/tierlink/tierlink/jobs"
	"github.com/tierlink/tierlink/partners/schedule"
)

func (s *Server) jobPages() []pageRoute {
	return []pageRoute{
		{Method: "GET", Path: "/admin/jobs", Access: staff, Handler: s.jobsPage},
		{Method: "GET", Path: "/admin/jobs/:name", Access: staff, Handler: s.jobPage},
		{Method: "POST", Path: "/admin/jobs/:name/pause", Access: admin, Handler: s.jobPauseSubmit(true), Back: s.refererBack},
		{Method: "POST", Path: "/admin/jobs/:name/resume", Access: admin, Handler: s.jobPauseSubmit(false), Back: s.refererBack},
		{Method: "POST", Path: "/admin/jobs/:name/run", Access: admin, Handler: s.jobRunSubmit, Back: s.refererBack},
	}
}

func (s *Server) jobsPage(c *fiber.Ctx) error {
	l, err := s.deps.Jobs.List(c.UserContext())
	if err != nil {
		return err
	}
	return s.render(c, "jobs", "jobs", l)
}

func (s *Server) jobPage(c *fiber.Ctx) error {
	name, err := jobName(c)
	if err != nil {
		return err
	}
	f, err := bindQuery[jobs.RunFilter](c)
	if err != nil {
		return err
	}
	d, err := s.deps.Jobs.Job(c.UserContext(), name, f)
	if err != nil {
		return err
	}
	return s.render(c, "job", "jobs", d)
}

func (s *Server) jobPauseSubmit(paused bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		name, err := jobName(c)
		if err != nil {
			return err
		}
		if _, err := s.deps.Jobs.SetPaused(c.UserContext(), name, paused); err != nil {
			return err
		}
		msg := "job_resumed"
		if paused {
			msg = "job_paused"
		}
		return c.Redirect("/admin/jobs/"+name+"?msg="+msg, fiber.StatusSeeOther)
	}
}

func (s *Server) jobRunSubmit(c *fiber.Ctx) error {
	name, err := jobName(c)
	if err != nil {
		return err
	}
	if _, err := s.deps.Jobs.RunNow(c.UserContext(), name, false); err != nil {
		return err
	}
	return c.Redirect("/admin/jobs/"+name+"?msg=job_started", fiber.StatusSeeOther)
}

// Schedule puts a cron spec into words in the reader's language
// ("weekdays at 08:30" / "工作日 08:30"); a spec that cannot be worded is
// shown as it is.
func (l *locale) Schedule(spec string) string {
	p, ok := schedule.Describe(spec)
	if !ok {
		return spec
	}
	switch p.Cadence {
	case schedule.Daily:
		return fmt.Sprintf(l.T("sched_daily"), p.Clock())
	case schedule.Weekdays:
		return fmt.Sprintf(l.T("sched_weekdays"), p.Clock())
	case schedule.Weekly:
		return fmt.Sprintf(l.T("sched_weekly"), l.T(fmt.Sprintf("sched_wd_%d", p.Weekday)), p.Clock())
	case schedule.Hourly:
		if p.Minute == 0 {
			return l.T("sched_hourly")
		}
		return fmt.Sprintf(l.T("sched_hourly_at"), p.Minute)
	case schedule.Interval:
		switch {
		case p.Every == time.Minute:
			return l.T("sched_every_minute")
		case p.Every%time.Hour == 0:
			return fmt.Sprintf(l.T("sched_every_hours"), int(p.Every/time.Hour))
		case p.Every%time.Minute == 0:
			return fmt.Sprintf(l.T("sched_every_minutes"), int(p.Every/time.Minute))
		}
	}
	return spec
}

// JobAbout is a job's description in the reader's language, or about
// (the English in jobs.Standard) for a job the catalogue does not know.
func (l *locale) JobAbout(name, about string) string {
	key := "job_about_" + name
	if s := l.T(key); s != key {
		return s
	}
	return about
}
