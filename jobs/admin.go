package jobs

import (
	"context"
	"errors"
	"time"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/jobrun"
	"github.com/tierlink/tierlink/ent/jobstate"
	"github.com/tierlink/tierlink/ent/viewer"
	"github.com/tierlink/tierlink/partners"
	"github.com/tierlink/tierlink/partners/i18n"
)

// Info is a job as the job list shows it.
type Info struct {
	Name    string     `json:"name"`
	About   string     `json:"about"`
	Spec    string     `json:"schedule"`
	Missed  string     `json:"missed_ticks"` // catch_up or skip
	Paused  bool       `json:"paused"`
	Running bool       `json:"running_here"`
	Next    *time.Time `json:"next_run"`
	Last    *Run       `json:"last_run"`
}

// Run is one run in the ledger.
type Run struct {
	ID        int            `json:"id"`
	Job       string         `json:"job"`
	Tick      time.Time      `json:"tick"`
	Trigger   jobrun.Trigger `json:"trigger"`
	Instance  string         `json:"instance"`
	StartedAt time.Time      `json:"started_at"`
	EndedAt   *time.Time     `json:"ended_at"`
	Outcome   jobrun.Outcome `json:"outcome"`
	Error     string         `json:"error,omitempty"`
	Items     int            `json:"items"`
	// Report is what the run found and did, in English.
	Report string `json:"report,omitempty"`
	// Message is the report as catalogue messages, a line each, for
	// pages to render in the reader's language; nil for runs recorded
	// before messages were kept, which show Report. Like a form error's
	// message, it stays out of the API, which speaks English.
	Message     i18n.Lines `json:"-"`
	RequestedBy string     `json:"requested_by,omitempty"`
}

// JobFilter pages the job list.
type JobFilter struct {
	Cursor string `query:"cursor" validate:"max=200"`
	Limit  int    `query:"limit" validate:"omitempty,min=1,max=200"`
}

// JobList is one page of the jobs, in the order they were registered.
type JobList struct {
	Items      []Info `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// RunFilter pages a job's runs, newest first.
type RunFilter struct {
	Cursor string `query:"cursor" validate:"max=200"`
	Limit  int    `query:"limit" validate:"omitempty,min=1,max=200"`
}

// RunPage is a page of runs.
type RunPage struct {
	Items      []Run  `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// Detail is one job with its latest runs.
type Detail struct {
	Info
	Runs RunPage `json:"runs"`
}

func toRun(r *ent.JobRun) Run {
	// A message that cannot be read leaves the English report to show.
	msg, _ := i18n.DecodeLines(r.Message)
	return Run{ID: r.ID, Job: r.Job, Tick: r.Tick, Trigger: r.Trigger, Instance: r.Instance, StartedAt: r.StartedAt,
		EndedAt: r.EndedAt, Outcome: r.Outcome, Error: r.Error, Items: r.Items, Report: r.Report, Message: msg, RequestedBy: r.RequestedBy}
}

func staff(ctx context.Context) error {
	v, _ := viewer.FromContext(ctx)
	if !v.IsStaff() && !v.IsSystem() {
		return partners.Errorf(partners.EForbidden, "only staff see scheduled jobs")
	}
	return nil
}

func admin(ctx context.Context) (viewer.Viewer, error) {
	v, _ := viewer.FromContext(ctx)
	if !v.IsAdmin() {
		return v, partners.Errorf(partners.EForbidden, "only administrators change scheduled jobs")
	}
	return v, nil
}

// Has tells whether a job of that name is registered.
func (s *Scheduler) Has(name string) bool {
	_, ok := s.byName[name]
	return ok
}

// List returns every job with its schedule, next run, pause state and
// last run; ListPage pages them.
func (s *Scheduler) List(ctx context.Context) (JobList, error) {
	return s.list(ctx, 0, len(s.entries))
}

// ListPage returns the jobs a page at a time, in registration order.
func (s *Scheduler) ListPage(ctx context.Context, f JobFilter) (JobList, error) {
	if err := staff(ctx); err != nil {
		return JobList{}, err
	}
	if err := partners.Validate(f); err != nil {
		return JobList{}, err
	}
	// Jobs are registered in code, not stored, so the list pages by
	// offset over the registration order, the same on every instance of
	// one build.
	from, err := partners.Offset(f.Cursor)
	if err != nil {
		return JobList{}, err
	}
	from = min(from, len(s.entries))
	return s.list(ctx, from, min(from+partners.Limit(f.Limit, 50), len(s.entries)))
}

// list returns the jobs from one place in the registration order up to
// another, with the cursor of the next page when more follow.
func (s *Scheduler) list(ctx context.Context, from, to int) (JobList, error) {
	if err := staff(ctx); err != nil {
		return JobList{}, err
	}
	states, err := s.client.JobState.Query().All(ctx)
	if err != nil {
		return JobList{}, err
	}
	paused := map[string]bool{}
	for _, st := range states {
		paused[st.Job] = st.Paused
	}
	out := JobList{Items: make([]Info, 0, to-from)}
	if to < len(s.entries) {
		out.NextCursor = partners.OffsetCursor(to)
	}
	for _, e := range s.entries[from:to] {
		info, err := s.info(ctx, e, paused[e.job.Name])
		if err != nil {
			return JobList{}, err
		}
		out.Items = append(out.Items, info)
	}
	return out, nil
}

func (s *Scheduler) info(ctx context.Context, e *entry, paused bool) (Info, error) {
	info := Info{Name: e.job.Name, About: e.job.About, Spec: e.job.Spec, Missed: string(e.job.Missed), Paused: paused, Running: e.running.Load()}
	if n := e.sched.Next(s.now()); !n.IsZero() {
		n = n.In(s.loc)
		info.Next = &n
	}
	last, err := s.client.JobRun.Query().Where(jobrun.Job(e.job.Name)).Order(ent.Desc(jobrun.FieldStartedAt), ent.Desc(jobrun.FieldID)).First(ctx)
	if err != nil && !ent.IsNotFound(err) {
		return Info{}, err
	}
	if last != nil {
		r := toRun(last)
		info.Last = &r
	}
	return info, nil
}

// Job returns one job and its latest runs.
func (s *Scheduler) Job(ctx context.Context, name string, f RunFilter) (Detail, error) {
	if err := staff(ctx); err != nil {
		return Detail{}, err
	}
	e, ok := s.byName[name]
	if !ok {
		return Detail{}, notFound(name)
	}
	if err := partners.Validate(f); err != nil {
		return Detail{}, err
	}
	st, err := s.client.JobState.Query().Where(jobstate.Job(name)).Only(ctx)
	if err != nil && !ent.IsNotFound(err) {
		return Detail{}, err
	}
	info, err := s.info(ctx, e, st != nil && st.Paused)
	if err != nil {
		return Detail{}, err
	}
	before, err := partners.BeforeID(f.Cursor)
	if err != nil {
		return Detail{}, err
	}
	limit := partners.Limit(f.Limit, 50)
	q := s.client.JobRun.Query().Where(jobrun.Job(name))
	if before > 0 {
		q.Where(jobrun.IDLT(before))
	}
	rows, err := q.Order(ent.Desc(jobrun.FieldID)).Limit(limit + 1).All(ctx)
	if err != nil {
		return Detail{}, err
	}
	rows, next := partners.Trim(rows, limit, func(r *ent.JobRun) int { return r.ID })
	d := Detail{Info: info, Runs: RunPage{Items: make([]Run, 0, len(rows)), NextCursor: next}}
	for _, r := range rows {
		d.Runs.Items = append(d.Runs.Items, toRun(r))
	}
	return d, nil
}

// SetPaused pauses or resumes a job on every instance: a paused job's
// ticks are skipped (and logged) until it is resumed; running it by hand
// still works.
func (s *Scheduler) SetPaused(ctx context.Context, name string, paused bool) (Info, error) {
	v, err := admin(ctx)
	if err != nil {
		return Info{}, err
	}
	e, ok := s.byName[name]
	if !ok {
		return Info{}, notFound(name)
	}
	sys := partners.AsSystem(ctx, "jobs")
	err = partners.WithTx(sys, s.client, func(tx *ent.Tx) error {
		c := tx.Client()
		n, err := c.JobState.Update().Where(jobstate.Job(name)).SetPaused(paused).SetChangedBy(v.Label).Save(sys)
		if err != nil {
			return err
		}
		if n == 0 {
			if err := c.JobState.Create().SetJob(name).SetPaused(paused).SetChangedBy(v.Label).Exec(sys); err != nil {
				return err
			}
		}
		action := "job.resume"
		if paused {
			action = "job.pause"
		}
		return partners.Audit(ctx, c, partners.AuditRecord{Action: action, EntityType: "job", After: map[string]any{"job": name}})
	})
	if ent.IsConstraintError(err) {
		// Two admins created the state at once; the other's row is there now.
		return s.SetPaused(ctx, name, paused)
	}
	if err != nil {
		return Info{}, err
	}
	return s.info(ctx, e, paused)
}

// RunNow runs a job at once, on this instance, whatever its schedule or
// pause; with wait it returns when the run ends, otherwise as soon as the
// run is claimed. A job already running here is refused.
func (s *Scheduler) RunNow(ctx context.Context, name string, wait bool) (Run, error) {
	v, err := admin(ctx)
	if err != nil {
		return Run{}, err
	}
	e, ok := s.byName[name]
	if !ok {
		return Run{}, notFound(name)
	}
	tick := s.now().UTC().Truncate(time.Millisecond)
	var row *ent.JobRun
	if wait {
		row, err = s.run(e, tick, jobrun.TriggerManual, v.Label, nil)
	} else {
		started := make(chan *ent.JobRun, 1)
		row, err = s.run(e, tick, jobrun.TriggerManual, v.Label, started)
	}
	switch {
	case errors.Is(err, errBusy):
		return Run{}, partners.Fail(partners.EConflict, i18n.M("problem.job_running").With("Job", name))
	case errors.Is(err, errClaimed):
		return Run{}, partners.Fail(partners.EConflict, i18n.M("problem.job_just_started").With("Job", name))
	case err != nil:
		return Run{}, err
	}
	// Waited for, the row carries the outcome; otherwise it is running.
	return toRun(row), nil
}
