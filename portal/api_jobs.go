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
	r.list("/", op{Summary: "Scheduled jobs: schedule, missed-tick policy, pause state, next run, last run", Tag: "jobs",
		Description: "The scheduled jobs in a fixed order, a page at a time: what each does, its schedule, whether missed ticks are caught up " +
			"or skipped, whether it is paused, its next run and its last run. Staff only.",
		Access: staff, Query: jobs.JobFilter{}, Resp: jobs.JobList{}}, listOf(js.ListPage))
	r.handle("GET", "/:name", op{Summary: "A job and its run history (the run ledger), newest first", Tag: "jobs", Access: staff,
		Description: "One job with a page of its runs, newest first: limit and cursor page the runs, which answer as runs.items and " +
			"runs.next_cursor. Each run says which instance ran it, for which tick, how it ended and what it reported. Staff only.",
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
		Description: "Pauses the job on every instance until it is resumed: its ticks are skipped and logged, while running it by hand still works. " +
			"Pausing a paused job changes nothing. Admins only; audited.",
		Access: admin, Resp: jobs.Info{}}, pause(true))
	r.handle("POST", "/:name/resume", op{Summary: "Resume a paused job", Tag: "jobs", Access: admin, Resp: jobs.Info{},
		Description: "Lets a paused job run on its schedule again, from its next tick. Resuming a job that is not paused changes nothing. Admins only; audited."}, pause(false))
	r.handle("POST", "/:name/run", op{Summary: "Run a job now on this instance; 202 with the run, which the job's history then shows ending",
		Description: "Starts a run now on the instance that took the request, whatever the schedule or pause, and answers 202 with the run " +
			"as soon as it has started; GET /api/v1/jobs/{name} then shows it ending. A job already running here is 409. Admins only.",
		Tag: "jobs", Access: admin, Resp: jobs.Run{}, Status: 202, Errors: []int{409}}, func(c *fiber.Ctx) error {
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
