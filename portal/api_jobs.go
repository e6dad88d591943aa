package portal

import (
	"regexp"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/tierlink/tierlink/jobs"
	"github.com/tierlink/tierlink/partners"
)

// jobNameRE is the shape of a job name; anything else is not a job.
var jobNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,63}$`)

// jobName reads the :name parameter, copied: fiber reuses the buffer.
func jobName(c *fiber.Ctx) (string, error) {
	n := c.Params("name")
	if !jobNameRE.MatchString(n) {
		return "", partners.NotFound("job")
	}
	return strings.Clone(n), nil
}

func (s *Server) registerJobRoutes(r api) {
	js := s.deps.Jobs
	r.handle("GET", "/", op{Summary: "Scheduled jobs: schedule, missed-tick policy, pause state, next run, last run", Tag: "jobs",
		Access: staff, Resp: jobs.JobList{}}, func(c *fiber.Ctx) error {
		l, err := js.List(c.UserContext())
		if err != nil {
			return err
		}
		return c.JSON(l)
	})
	r.handle("GET", "/:name", op{Summary: "A job and its run history (the run ledger), newest first", Tag: "jobs", Access: staff,
		Query: jobs.RunFilter{}, Resp: jobs.Detail{}}, func(c *fiber.Ctx) error {
		name, err := jobName(c)
		if err != nil {
			return err
		}
		f, err := bindQuery[jobs.RunFilter](c)
		if err != nil {
			return err
		}
		d, err := js.Job(c.UserContext(), name, f)
		if err != nil {
			return err
		}
		return c.JSON(d)
	})
	pause := func(paused bool) fiber.Handler {
		return func(c *fiber.Ctx) error {
			name, err := jobName(c)
			if err != nil {
				return err
			}
			info, err := js.SetPaused(c.UserContext(), name, paused)
			if err != nil {
				return err
			}
			return c.JSON(info)
		}
	}
	r.handle("POST", "/:name/pause", op{Summary: "Pause a job on every instance (its ticks are skipped and logged)", Tag: "jobs",
		Access: admin, Resp: jobs.Info{}}, pause(true))
	r.handle("POST", "/:name/resume", op{Summary: "Resume a paused job", Tag: "jobs", Access: admin, Resp: jobs.Info{}}, pause(false))
	r.handle("POST", "/:name/run", op{Summary: "Run a job now on this instance; 202 with the run, which the job's history then shows ending",
		Tag: "jobs", Access: admin, Resp: jobs.Run{}, Status: 202}, func(c *fiber.Ctx) error {
		name, err := jobName(c)
		if err != nil {
			return err
		}
		run, err := js.RunNow(c.UserContext(), name, false)
		if err != nil {
			return err
		}
		return c.Status(fiber.StatusAccepted).JSON(run)
	})
}
