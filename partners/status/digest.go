package status

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
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
	res.Report = fmt.Sprintf("%d group(s) due: %d digest(s) with open items, %d \"all on track\", %d quiet, %d skipped (contacts of another partner), %d already done elsewhere",
		len(dues), counts["posted"], counts["on_track"], counts["quiet"], counts["foreign"], counts["raced"])
	if bad > 0 {
		res.Report += fmt.Sprintf("; %d group(s) have an unreadable schedule", bad)
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

// refs collects the items of one digest line in both languages.
type refs struct{ en, zh []string }

func (r *refs) put(en, zh string) { r.en, r.zh = append(r.en, en), append(r.zh, zh) }

// line names an order line with its due date.
func (r *refs) line(l shipments.BoardLine) {
	en, zh := day(l.Due)
	r.put(fmt.Sprintf("%s/%d (%s)", l.OrderNumber, l.LineNo, en), fmt.Sprintf("%s/%d（%s）", l.OrderNumber, l.LineNo, zh))
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
	var en, zh []string
	add := func(e, z string) { en, zh = append(en, e), append(zh, z) }
	section := func(title, titleZh string, body func()) {
		n := len(en)
		body()
		if len(en) > n {
			en = slices.Insert(en, n, title)
			zh = slices.Insert(zh, n, titleZh)
		}
	}
	// say adds "• N …: items" in both languages when there are items.
	say := func(r refs, en, zh string) {
		if len(r.en) > 0 {
			add(fmt.Sprintf(en, len(r.en), listEn(r.en)), fmt.Sprintf(zh, len(r.zh), listZh(r.zh)))
		}
	}
	section("Upstream:", "上游：", func() {
		var waiting, changes, late, risk, due refs
		for _, o := range st.awaiting[pid] {
			ae, az := age(now.Sub(*o.PublishedAt))
			waiting.put(fmt.Sprintf("%s (%s)", o.Number, ae), fmt.Sprintf("%s（%s）", o.Number, az))
		}
		for _, n := range st.changes[pid] {
			changes.put(n, n)
		}
		for _, l := range st.lines[pid] {
			if l.Direction != order.DirectionUpstream || l.State == shipments.LineReceived {
				continue
			}
			switch {
			case l.Late:
				late.line(l)
			case l.AtRisk:
				risk.line(l)
			}
			if !l.Due.Before(today) && l.Due.Before(week) {
				due.line(l)
			}
		}
		say(waiting, "• %d order(s) awaiting acknowledgement: %s", "• %d 个订单等待确认：%s")
		say(changes, "• %d open change request(s): %s", "• %d 个变更申请待处理：%s")
		say(late, "• %d line(s) late: %s", "• %d 行已逾期：%s")
		say(risk, "• %d line(s) at risk (ETA after the due date): %s", "• %d 行有延误风险（预计到达晚于交期）：%s")
		say(due, "• %d receipt(s) due this week: %s", "• 本周应收货 %d 行：%s")
	})
	section("Downstream:", "下游：", func() {
		var due, late, delivered refs
		for _, l := range st.lines[pid] {
			if l.Direction != order.DirectionDownstream || l.State == shipments.LineReceived {
				continue
			}
			switch {
			case l.Late:
				late.line(l)
			case l.Due.Before(week):
				due.line(l)
			}
		}
		for _, sh := range st.delivered[pid] {
			n := sh.Number
			if n == "" {
				n = fmt.Sprintf("#%d", sh.ID)
			}
			delivered.put(n, n)
		}
		say(due, "• %d delivery line(s) due this week: %s", "• 本周应交货 %d 行：%s")
		say(late, "• %d delivery line(s) late: %s", "• %d 行交货逾期：%s")
		say(delivered, "• %d shipment(s) delivered since the last digest: %s", "• 上次摘要以来已交付 %d 批：%s")
	})
	at := d.tick.In(s.loc)
	head := fmt.Sprintf("Status digest for %s, %s", name, at.Format("Mon 2 Jan 15:04"))
	headZh := fmt.Sprintf("%s 状态摘要，%d月%d日 %s", name, at.Month(), at.Day(), at.Format("15:04"))
	a := groups.Announcement{Kind: "digest", PartnerID: pid, SubjectType: "partner", SubjectID: pid}
	if len(en) == 0 {
		a.Body, a.BodyZh = head+": all on track.", headZh+"：一切正常。"
		return a, true
	}
	a.Body = head + "\n" + strings.Join(en, "\n")
	a.BodyZh = headZh + "\n" + strings.Join(zh, "\n")
	return a, false
}
