package main

import (
	"context"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/database"
	"github.com/tierlink/tierlink/ent/database/dbtest"
	"github.com/tierlink/tierlink/ent/jobrun"
	"github.com/tierlink/tierlink/ent/post"
	"github.com/tierlink/tierlink/ent/viewer"
	"github.com/tierlink/tierlink/partners/groups"
)

func TestJobsCommands(t *testing.T) {
	env := map[string]string{"TIERLINK_DATA_DIR": t.TempDir()}
	r := runMain(t, env, "", "jobs", "list")
	if r.code != 0 || !strings.Contains(r.stdout, "group-digests") || !strings.Contains(r.stdout, "catch-up") || !strings.Contains(r.stdout, "NEXT RUN") {
		t.Fatalf("jobs list: %+v", r)
	}
	r = runMain(t, env, "", "jobs", "run", "dead-letter-report")
	if r.code != 0 || !strings.Contains(r.stdout, "dead-letter-report: ok") || !strings.Contains(r.stdout, "no undelivered") {
		t.Fatalf("jobs run: %+v", r)
	}
	// The run is in the ledger, and the list shows it.
	r = runMain(t, env, "", "jobs", "list")
	var line string
	for _, l := range strings.Split(r.stdout, "\n") {
		if strings.HasPrefix(l, "dead-letter-report") {
			line = l
		}
	}
	if !strings.Contains(line, " ok ") {
		t.Fatalf("list after run: %q", line)
	}
	for _, args := range [][]string{{"jobs", "run", "nope"}, {"jobs", "run"}, {"jobs", "frob"}, {"jobs", "list", "extra"}} {
		r := runMain(t, env, "", args...)
		if lines := strings.Split(strings.TrimSpace(r.stderr), "\n"); r.code != 2 || len(lines) != 1 {
			t.Errorf("%v: exit %d, stderr %q", args, r.code, r.stderr)
		}
	}
}

// Three instances share one PostgreSQL and schedule a one-second digest
// job; one is killed part-way. Every tick for 200 seconds runs exactly
// once, on one of the instances, and the group gets at most one digest
// per tick.
func TestThreeInstancesRunEachTickOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("runs for over 200 seconds")
	}
	t.Parallel()
	url := dbtest.PostgresURL(t)
	bin := buildBinary(t)
	envFor := func() []string {
		return []string{"TIERLINK_DATABASE_URL=" + url, "TIERLINK_DATA_DIR=" + t.TempDir(), "TIERLINK_TIME_ZONE=UTC",
			"TIERLINK_JOB_SCHEDULES=group-digests=* * * * * *", "TIERLINK_LOG_LEVEL=warn"}
	}
	env := envFor()
	tok := prepare(t, env)
	a := startServe(t, bin, env)
	var g groups.Group
	if code := api(t, a.base, tok, "POST", "/api/v1/groups", `{"name":"S-1","kind":"partner","partner_id":1}`, &g); code != 201 {
		t.Fatalf("group: %d", code)
	}
	if code := api(t, a.base, tok, "PATCH", fmt.Sprintf("/api/v1/groups/%d", g.ID), `{"digest_schedule":"* * * * * *"}`, &g); code != 201 && code != 200 {
		t.Fatalf("digest schedule: %d", code)
	}
	patchedAt := time.Now()
	b, c := startServe(t, bin, envFor()), startServe(t, bin, envFor())

	db, err := database.Open(context.Background(), database.Target{Dialect: dialect.Postgres, URL: url})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := viewer.NewContext(context.Background(), viewer.System("test"))
	ledger := func() []*ent.JobRun {
		rs, err := db.Client.JobRun.Query().Where(jobrun.Job("group-digests")).Order(ent.Asc(jobrun.FieldTick)).All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return rs
	}
	start := time.Now()
	killed := false
	var killedAt time.Time
	for {
		time.Sleep(time.Second)
		rs := ledger()
		if !killed && len(rs) >= 70 {
			b.cmd.Process.Signal(syscall.SIGKILL)
			b.cmd.Wait()
			killed, killedAt = true, time.Now()
		}
		if len(rs) >= 205 {
			break
		}
		if time.Since(start) > 300*time.Second {
			t.Fatalf("only %d runs after %v", len(rs), time.Since(start))
		}
	}
	time.Sleep(1500 * time.Millisecond) // let the last run end
	rs := ledger()
	// The first few ticks may predate the later instances; count from
	// the first tick all three could see.
	instances := map[string]int{}
	running := 0
	for i, r := range rs {
		if i > 0 && !r.Tick.Equal(rs[i-1].Tick.Add(time.Second)) {
			t.Errorf("ticks %v and %v: a gap of %v", rs[i-1].Tick, r.Tick, r.Tick.Sub(rs[i-1].Tick))
		}
		instances[r.Instance]++
		switch r.Outcome {
		case jobrun.OutcomeOk:
		case jobrun.OutcomeRunning:
			running++ // the killed instance's run, or the last one still going
		default:
			t.Errorf("run %v: %s %s", r.Tick, r.Outcome, r.Error)
		}
	}
	if running > 2 {
		t.Errorf("%d runs never ended", running)
	}
	if len(instances) < 2 {
		t.Errorf("every tick ran on one instance: %v", instances)
	}
	after := 0
	for _, r := range rs {
		if r.StartedAt.After(killedAt.Add(2 * time.Second)) {
			after++
		}
	}
	if after < 100 {
		t.Errorf("only %d ticks ran after the kill", after)
	}
	digests, err := db.Client.Post.Query().Where(post.GroupID(g.ID), post.EventKind("digest")).Count(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Every tick since the group's schedule became one second owes one
	// digest: none twice (at most one per tick), and none lost beyond a
	// tick or two at the edges.
	owed := 0
	for _, r := range rs {
		if r.Tick.After(patchedAt) {
			owed++
		}
	}
	if digests > owed+1 || digests < owed-3 {
		t.Errorf("%d digests for %d ticks since the schedule was set", digests, owed)
	}
	t.Logf("%d ticks from %v to %v, one run each; runs per instance %v; %d digests; instance killed after %v",
		len(rs), rs[0].Tick.Format(time.TimeOnly), rs[len(rs)-1].Tick.Format(time.TimeOnly), instances, digests, killedAt.Sub(start).Round(time.Second))
	_ = c // runs throughout, with a
}
