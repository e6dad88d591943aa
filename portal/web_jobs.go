package portal

import (
	"github.com/gofiber/fiber/v2"

	"github.com/tierlink/tierlink/jobs"
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
