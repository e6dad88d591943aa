package status

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/changerequest"
	"github.com/tierlink/tierlink/ent/group"
	"github.com/tierlink/tierlink/ent/groupmember"
	"github.com/tierlink/tierlink/ent/order"
	"github.com/tierlink/tierlink/ent/partner"
	"github.com/tierlink/tierlink/ent/shipment"
	"github.com/tierlink/tierlink/partners"
	"github.com/tierlink/tierlink/partners/groups"
	"github.com/tierlink/tierlink/partners/i18n"
	"github.com/tierlink/tierlink/partners/schedule"
	"github.com/tierlink/tierlink/partners/shipments"
)

// digestBatch is how many groups' status is read at once: the reads cost
// a fixed number of queries per batch, so a digest costs a fixed number
// of queries per group however many orders each partner has.
const digestBatch = 200

// digestLookback bounds how far back a due digest is looked for: after a
// longer outage the group gets one digest, the latest due.
const digestLookback = 8 * 24 * time.Hour

// due is a group whose digest has a tick in (its last tick, now].
type due struct {
	g     *ent.Group
	tick  time.Time
	since time.Time
}

// Digests posts the status digest of every group whose digest schedule
// has a tick in (the last tick it handled, now]. A group's tick is
// advanced by a guarded update in the same transaction as its post, so
// each digest goes out once even if two runs overlap. Groups with
// contacts of another partner get no digest (the privacy rule of
// automatic status).
func (s *Service) Digests(ctx context.Context, now time.Time) (Result, error) {
	return s.digests(ctx, now, false)
}

// DigestsNow posts every digest-enabled group's digest at once, for the
// tick now, whatever the groups' schedules say: an administrator asked.
func (s *Service) DigestsNow(ctx context.Context, now time.Time) (Result, error) {
	return s.digests(ctx, now, true)
}

func (s *Service) digests(ctx context.Context, now time.Time, force bool) (Result, error) {
	sys := system(ctx)
	gs, err := s.client.Group.Query().Where(group.KindEQ(group.KindPartner), group.Archived(false), group.DigestEnabled(true),
		group.PartnerIDNotNil()).Order(ent.Asc(group.FieldID)).All(sys)
	if err != nil {
		return Result{}, err
	}
	scheds := map[string]cron.Schedule{}
	var dues []due
	bad := 0
	for _, g := range gs {
		spec := g.DigestSpec
		sched, ok := scheds[spec]
		if !ok {
			if sched, err = s.groups.DigestSchedule(g); err != nil {
				bad++
				continue
			}
			scheds[spec] = sched
		}
		// A group that never had a digest starts from its creation, but
		// at most an hour back: groups that existed before digests did
		// get their first at the next tick, not a late one at once.
		since := g.CreatedAt
		if g.DigestLastTick != nil {
			since = *g.DigestLastTick
		} else if hourAgo := now.Add(-time.Hour); since.Before(hourAgo) {
			since = hourAgo
		}
		if force {
			dues = append(dues, due{g: g, tick: now, since: since})
		} else if tick, ok := schedule.Latest(sched, since, now, digestLookback); ok {
			dues = append(dues, due{g: g, tick: tick, since: since})
		}
	}
	res := Result{}
	counts := map[string]int{}
	for batch := range slices.Chunk(dues, digestBatch) {
		if err := s.digestBatch(sys, batch, now, counts); err != nil {
			return res, err
		}
	}
	res.Posted = counts["posted"] + counts["on_track"]
	res.Skipped = counts["foreign"] + counts["quiet"] + counts["raced"]
	res.Message = i18n.Lines{i18n.N("job_report.digests", len(dues)).With("Open", i18n.N("job_report.digests_open", counts["posted"])).
		With("OnTrack", counts["on_track"]).With("Quiet", counts["quiet"]).With("Foreign", counts["foreign"]).With("Raced", counts["raced"])}
	if bad > 0 {
		res.Message = append(res.Message, i18n.N("job_report.digests_bad_schedule", bad))
	}
	return res, nil
}

// errRaced says another run already handled this group's tick.
var errRaced = errors.New("digest already posted")

func (s *Service) digestBatch(ctx context.Context, batch []due, now time.Time, counts map[string]int) error {
	ids := make([]int, len(batch))
	pids := make([]int, 0, len(batch))
	since := now
	for i, d := range batch {
		ids[i] = d.g.ID
		pids = append(pids, *d.g.PartnerID)
		if d.since.Before(since) {
			since = d.since
		}
	}
	slices.Sort(pids)
	pids = slices.Compact(pids)
	members, err := s.client.GroupMember.Query().Where(groupmember.GroupIDIn(ids...), groupmember.PartnerIDNotNil()).All(ctx)
	if err != nil {
		return err
	}
	foreign := map[int]bool{}
	byID := map[int]*ent.Group{}
	for _, d := range batch {
		byID[d.g.ID] = d.g
	}
	for _, m := range members {
		if *m.PartnerID != *byID[m.GroupID].PartnerID {
			foreign[m.GroupID] = true
		}
	}
	st, err := s.load(ctx, pids, since, now)
	if err != nil {
		return err
	}
	for _, d := range batch {
		if foreign[d.g.ID] {
			counts["foreign"]++
			continue
		}
		a, empty := s.compose(st, d, now)
		kind, err := s.postDigest(ctx, d, a, empty)
		if errors.Is(err, errRaced) {
			counts["raced"]++
			continue
		} else if err != nil {
			return fmt.Errorf("digest of group %d: %w", d.g.ID, err)
		}
		counts[kind]++
	}
	return nil
}

func (s *Service) postDigest(ctx context.Context, d due, a groups.Announcement, empty bool) (string, error) {
	kind := "posted"
	err := partners.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		c := tx.Client()
		n, err := c.Group.Update().Where(group.ID(d.g.ID), group.Or(group.DigestLastTickIsNil(), group.DigestLastTickLT(d.tick.UTC()))).
			SetDigestLastTick(d.tick.UTC()).Save(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			return errRaced
		}
		if empty {
			kind = "on_track"
			if d.g.DigestQuiet {
				kind = "quiet"
				return nil
			}
		}
		_, err = s.groups.Announce(ctx, c, d.g, a)
		return err
	})
	return kind, err
}

// snapshot is what a batch of partners' digests are made from.
type snapshot struct {
	partners  map[int]*ent.Partner
	awaiting  map[int][]*ent.Order
	changes   map[int][]string // order numbers with an open change request
	lines     map[int][]shipments.BoardLine
	delivered map[int][]*ent.Shipment
}

// load reads the status of a batch of partners in a fixed number of
// queries.
func (s *Service) load(ctx context.Context, pids []int, since, now time.Time) (snapshot, error) {
	st := snapshot{partners: map[int]*ent.Partner{}, awaiting: map[int][]*ent.Order{}, changes: map[int][]string{},
		lines: map[int][]shipments.BoardLine{}, delivered: map[int][]*ent.Shipment{}}
	ps, err := s.client.Partner.Query().Where(partner.IDIn(pids...)).All(ctx)
	if err != nil {
		return st, err
	}
	for _, p := range ps {
		st.partners[p.ID] = p
	}
	aw, err := s.client.Order.Query().Where(order.PartnerIDIn(pids...), order.DirectionEQ(order.DirectionUpstream),
		order.StatusEQ(order.StatusPublished)).Order(ent.Asc(order.FieldPublishedAt), ent.Asc(order.FieldID)).All(ctx)
	if err != nil {
		return st, err
	}
	for _, o := range aw {
		st.awaiting[o.PartnerID] = append(st.awaiting[o.PartnerID], o)
	}
	crs, err := s.client.ChangeRequest.Query().Where(changerequest.PartnerIDIn(pids...), changerequest.StateEQ(changerequest.StateOpen)).
		Order(ent.Asc(changerequest.FieldID)).All(ctx)
	if err != nil {
		return st, err
	}
	if len(crs) > 0 {
		oids := make([]int, len(crs))
		for i, cr := range crs {
			oids[i] = cr.OrderID
		}
		os, err := s.client.Order.Query().Where(order.IDIn(oids...)).All(ctx)
		if err != nil {
			return st, err
		}
		num := map[int]string{}
		for _, o := range os {
			num[o.ID] = o.Number
		}
		for _, cr := range crs {
			st.changes[cr.PartnerID] = append(st.changes[cr.PartnerID], num[cr.OrderID])
		}
	}
	lines, err := s.shipments.OpenLines(ctx, pids, "", 1<<30)
	if err != nil {
		return st, err
	}
	for _, l := range lines {
		st.lines[l.PartnerID] = append(st.lines[l.PartnerID], l)
	}
	del, err := s.client.Shipment.Query().Where(shipment.PartnerIDIn(pids...), shipment.DirectionEQ(shipment.DirectionDownstream),
		shipment.StatusIn(shipment.StatusDelivered, shipment.StatusReceived), shipment.LastEventAtGT(since), shipment.LastEventAtLTE(now)).
		Order(ent.Asc(shipment.FieldLastEventAt)).All(ctx)
	if err != nil {
		return st, err
	}
	for _, sh := range del {
		st.delivered[sh.PartnerID] = append(st.delivered[sh.PartnerID], sh)
	}
	return st, nil
}

// line names an order line with its due date.
func line(l shipments.BoardLine) i18n.Message {
	return i18n.M("digest.item_line").With("Number", l.OrderNumber).With("Line", l.LineNo).With("Due", day(l.Due))
}

// compose writes one group's digest; empty says nothing needs anyone.
func (s *Service) compose(st snapshot, d due, now time.Time) (groups.Announcement, bool) {
	pid := *d.g.PartnerID
	p := st.partners[pid]
	name := fmt.Sprintf("#%d", pid)
	if p != nil {
		name = p.Name
	}
	today := s.today(now)
	week := today.AddDate(0, 0, 7)
	var lines i18n.Lines
	section := func(title string, body func()) {
		n := len(lines)
		body()
		if len(lines) > n {
			lines = slices.Insert(lines, n, i18n.M(title))
		}
	}
	// say adds "• N …: items" when there are items.
	say := func(key string, items []i18n.Message) {
		if len(items) > 0 {
			lines = append(lines, i18n.N(key, len(items)).With("Items", items))
		}
	}
	number := func(n string) i18n.Message { return i18n.M("digest.item").With("Number", n) }
	section("digest.upstream", func() {
		var waiting, changes, late, risk, due []i18n.Message
		for _, o := range st.awaiting[pid] {
			waiting = append(waiting, i18n.M("digest.item_age").With("Number", o.Number).With("Age", age(now.Sub(*o.PublishedAt))))
		}
		for _, n := range st.changes[pid] {
			changes = append(changes, number(n))
		}
		for _, l := range st.lines[pid] {
			if l.Direction != order.DirectionUpstream || l.State == shipments.LineReceived {
				continue
			}
			switch {
			case l.Late:
				late = append(late, line(l))
			case l.AtRisk:
				risk = append(risk, line(l))
			}
			if !l.Due.Before(today) && l.Due.Before(week) {
				due = append(due, line(l))
			}
		}
		say("digest.awaiting", waiting)
		say("digest.change_requests", changes)
		say("digest.lines_late", late)
		say("digest.lines_at_risk", risk)
		say("digest.receipts_due", due)
	})
	section("digest.downstream", func() {
		var due, late, delivered []i18n.Message
		for _, l := range st.lines[pid] {
			if l.Direction != order.DirectionDownstream || l.State == shipments.LineReceived {
				continue
			}
			switch {
			case l.Late:
				late = append(late, line(l))
			case l.Due.Before(week):
				due = append(due, line(l))
			}
		}
		for _, sh := range st.delivered[pid] {
			n := sh.Number
			if n == "" {
				n = fmt.Sprintf("#%d", sh.ID)
			}
			delivered = append(delivered, number(n))
		}
		say("digest.deliveries_due", due)
		say("digest.deliveries_late", late)
		say("digest.delivered", delivered)
	})
	head := i18n.M("digest.head").With("Partner", name).With("When", i18n.At(d.tick.In(s.loc), "layout.tick"))
	a := groups.Announcement{Kind: "digest", PartnerID: pid, SubjectType: "partner", SubjectID: pid}
	if len(lines) == 0 {
		a.Message = i18n.Lines{i18n.M("digest.all_on_track").With("Head", head)}
		return a, true
	}
	a.Message = append(i18n.Lines{head}, lines...)
	return a, false
}
