package scorecards

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"entgo.io/ent/dialect"

	"github.com/tierlink/tierlink/ent"
)

// Ratio is a share with the counts behind it. Value is nil when there is
// nothing to divide by: "no data", never 0% or 100%.
type Ratio struct {
	Value *float64 `json:"value"`
	Num   float64  `json:"num"`
	Den   float64  `json:"den"`
}

func ratio(num, den float64) Ratio {
	r := Ratio{Num: num, Den: den}
	if den > 0 {
		v := num / den
		r.Value = &v
	}
	return r
}

// Metrics are one partner's figures over one period.
type Metrics struct {
	PartnerID int `json:"partner_id"`
	// Acknowledgement: hours from publishing to the partner's complete
	// answer, over orders published in the period and answered; the
	// share answered within the partner's SLA counts the orders still
	// open past it as misses and leaves out those still within it.
	AckMedianHours *float64 `json:"ack_median_hours"`
	AckP90Hours    *float64 `json:"ack_p90_hours"`
	AckWithinSLA   Ratio    `json:"ack_within_sla"`
	// OpenOrders are the orders published and still unanswered at the
	// end of the period (or now), and OldestOpenHours the oldest's age.
	OpenOrders      int      `json:"open_orders"`
	OldestOpenHours *float64 `json:"oldest_open_hours"`
	// ChangeRate is the share of orders answered in the period that came
	// back with a change request.
	ChangeRate Ratio `json:"change_rate"`
	// On-time-in-full over order lines due in the period (the accepted
	// promised date, else the required date): per line, the quantity
	// received by the end of the due day, capped at the quantity
	// ordered, receipts of split shipments summed; the partner figure is
	// weighted by quantity. InFull counts receipts whenever they came;
	// OnTime is the share of what was received that came in time. A line
	// whose due day has not ended yet counts only once fully received
	// (early): until then it cannot have missed, so it is no 0%.
	OTIF   Ratio `json:"otif"`
	OnTime Ratio `json:"on_time"`
	InFull Ratio `json:"in_full"`
	// Shipment notices, over shipments that arrived in the period:
	// mean hours from the notice to arrival, and the share announced at
	// least an hour before they shipped (a notice typed in as the truck
	// leaves is no notice).
	NoticeLeadHours *float64 `json:"notice_lead_hours"`
	NoticeAhead     Ratio    `json:"notice_ahead"`
	// Freshness is the share of shipments on their way during the period
	// that never went 48 hours without an update (until they arrived, or
	// until the end of the period).
	Freshness Ratio `json:"freshness"`
	// PromiseDays is how many order lines (fully received in the period)
	// arrived how many days from their promised date, in buckets.
	PromiseDays map[string]int `json:"promise_days"`
	// Replies: staff messages awaiting the partner in its groups, posted
	// in the period, answered by one of its contacts on the same
	// calendar day in the partner's time zone; and the mean hours to the
	// first reply of those answered at all.
	Replies         Ratio    `json:"replies_same_day"`
	FirstReplyHours *float64 `json:"first_reply_hours"`
}

// Service computes scorecards.
type Service struct {
	client  *ent.Client
	dialect string
	loc     *time.Location
	// Weights fold the metrics into the composite score.
	Weights Weights
}

// New returns the service; d is the database dialect (the aggregate
// queries differ in date arithmetic), loc the company time zone.
func New(client *ent.Client, d string, loc *time.Location) *Service {
	return &Service{client: client, dialect: d, loc: loc, Weights: DefaultWeights}
}

// sql adapts a query written with ? placeholders (?t for a time with no
// column to infer its type from) and {secs a b} (seconds from b to a) to
// the dialect.
func (s *Service) sql(q string) string {
	for {
		i := strings.Index(q, "{secs ")
		if i < 0 {
			break
		}
		j := strings.Index(q[i:], "}") + i
		parts := strings.Fields(q[i+6 : j])
		a, b := parts[0], parts[1]
		expr := fmt.Sprintf("((julianday(%s) - julianday(%s)) * 86400.0)", a, b)
		if s.dialect == dialect.Postgres {
			expr = fmt.Sprintf("EXTRACT(EPOCH FROM (%s - %s))", a, b)
		}
		q = q[:i] + expr + q[j+1:]
	}
	if s.dialect != dialect.Postgres {
		return strings.ReplaceAll(q, "?t", "?")
	}
	// PostgreSQL numbers its placeholders, and a time parameter with no
	// column beside it (in VALUES, in arithmetic) needs its type said.
	var b strings.Builder
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] != '?' {
			b.WriteByte(q[i])
			continue
		}
		n++
		if i+1 < len(q) && q[i+1] == 't' {
			b.WriteString("CAST($" + strconv.Itoa(n) + " AS TIMESTAMPTZ)")
			i++
			continue
		}
		b.WriteString("$" + strconv.Itoa(n))
	}
	return b.String()
}

// timeCmp compares two time expressions: SQLite would compare the text,
// and stored times carry their writer's offset, so both sides go through
// julianday there.
func (s *Service) timeCmp(a, op, b string) string {
	if s.dialect == dialect.Postgres {
		return a + " " + op + " " + b
	}
	return "julianday(" + a + ") " + op + " julianday(" + b + ")"
}

// before and atOrAfter compare a time column with a parameter.
func (s *Service) before(col string) string    { return s.timeCmp(col, "<", "?") }
func (s *Service) atOrAfter(col string) string { return s.timeCmp(col, ">=", "?") }

// before2 and atOrAfter2 compare two time columns.
func (s *Service) before2(a, b string) string    { return s.timeCmp(a, "<", b) }
func (s *Service) atOrAfter2(a, b string) string { return s.timeCmp(a, ">=", b) }

func (s *Service) query(ctx context.Context, q string, args []any, scan func(*sql.Rows) error) error {
	rows, err := s.client.QueryContext(ctx, s.sql(q), args...)
	if err != nil {
		return fmt.Errorf("scorecard query: %w", err)
	}
	defer rows.Close() //nolint:errcheck // read-only; rows.Err says what went wrong
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

func ptr(v sql.NullFloat64, scale float64) *float64 {
	if !v.Valid {
		return nil
	}
	f := v.Float64 * scale
	return &f
}

// Compute returns every partner's metrics over p, as of asOf (the end
// of the period, or now for the current one), keyed by partner. A
// partner with nothing in the period has no entry; callers show it as
// "no data" throughout.
func (s *Service) Compute(ctx context.Context, p Period, asOf time.Time) (map[int]*Metrics, error) {
	out := map[int]*Metrics{}
	var mu sync.Mutex
	get := func(pid int) *Metrics {
		mu.Lock()
		defer mu.Unlock()
		m, ok := out[pid]
		if !ok {
			m = &Metrics{PartnerID: pid}
			out[pid] = m
		}
		return m
	}
	start, end, now := p.Start.UTC(), p.End.UTC(), asOf.UTC()

	// The queries are independent reads: they run side by side on the
	// read pool (SQLite's WAL readers, or PostgreSQL's connections).
	r := newRunner(3)

	// Acknowledgement time and the share within the SLA.
	r.do(func() error {
		return s.query(ctx, `
WITH o AS (
  SELECT o.partner_id AS pid, pa.ack_sla_hours * 3600.0 AS sla,
         CASE WHEN o.acknowledged_at IS NOT NULL AND `+s.before("o.acknowledged_at")+` THEN {secs o.acknowledged_at o.published_at} END AS s,
         {secs ?t o.published_at} AS age
  FROM orders o JOIN partners pa ON pa.id = o.partner_id
  WHERE o.published_at IS NOT NULL AND `+s.atOrAfter("o.published_at")+` AND `+s.before("o.published_at")+`
), r AS (
  SELECT pid, sla, s, age,
         ROW_NUMBER() OVER (PARTITION BY pid ORDER BY s IS NULL, s) AS rn,
         COUNT(s) OVER (PARTITION BY pid) AS n
  FROM o
)
SELECT pid,
       SUM(CASE WHEN s IS NOT NULL AND s <= sla THEN 1 ELSE 0 END),
       SUM(CASE WHEN s IS NOT NULL THEN 1 WHEN age > sla THEN 1 ELSE 0 END),
       MAX(CASE WHEN s IS NOT NULL AND rn = (n + 1) / 2 THEN s END),
       MAX(CASE WHEN s IS NOT NULL AND rn = (9 * n + 9) / 10 THEN s END)
FROM r GROUP BY pid`, []any{now, now, start, end}, func(rows *sql.Rows) error {
			var pid int
			var within, decided float64
			var med, p90 sql.NullFloat64
			if err := rows.Scan(&pid, &within, &decided, &med, &p90); err != nil {
				return err
			}
			m := get(pid)
			m.AckWithinSLA = ratio(within, decided)
			m.AckMedianHours, m.AckP90Hours = ptr(med, 1.0/3600), ptr(p90, 1.0/3600)
			return nil
		})
	})

	// Orders still waiting for an answer, whenever published.
	r.do(func() error {
		return s.query(ctx, `
SELECT o.partner_id, COUNT(*), MAX({secs ?t o.published_at})
FROM orders o
WHERE o.published_at IS NOT NULL AND o.status NOT IN ('draft', 'cancelled', 'closed') AND `+s.before("o.published_at")+`
  AND (o.acknowledged_at IS NULL OR NOT `+s.before("o.acknowledged_at")+`)
GROUP BY o.partner_id`, []any{now, now, now}, func(rows *sql.Rows) error {
			var pid, n int
			var oldest sql.NullFloat64
			if err := rows.Scan(&pid, &n, &oldest); err != nil {
				return err
			}
			m := get(pid)
			m.OpenOrders, m.OldestOpenHours = n, ptr(oldest, 1.0/3600)
			return nil
		})
	})

	// Change requests among the orders answered in the period.
	r.do(func() error {
		return s.query(ctx, `
SELECT o.partner_id, COUNT(*),
       SUM(CASE WHEN EXISTS (SELECT 1 FROM change_requests cr WHERE cr.order_id = o.id) THEN 1 ELSE 0 END)
FROM orders o
WHERE o.acknowledged_at IS NOT NULL AND `+s.atOrAfter("o.acknowledged_at")+` AND `+s.before("o.acknowledged_at")+`
GROUP BY o.partner_id`, []any{start, end}, func(rows *sql.Rows) error {
			var pid int
			var n, changed float64
			if err := rows.Scan(&pid, &n, &changed); err != nil {
				return err
			}
			get(pid).ChangeRate = ratio(changed, n)
			return nil
		})
	})

	// On-time-in-full per order line due in the period.
	due := "COALESCE(ol.promised_date, ol.required_date)"
	inTime := "julianday(rc.at) < julianday(l.due) + 1"
	dueOver := "julianday(due) + 1 <= julianday(?)"
	least := "MIN"
	if s.dialect == dialect.Postgres {
		inTime = "rc.at < l.due + INTERVAL '1 day'"
		dueOver = "due + INTERVAL '1 day' <= ?"
		least = "LEAST"
	}
	r.do(func() error {
		return s.query(ctx, `
WITH l AS (
  SELECT ol.id, ol.partner_id AS pid, ol.quantity AS q, `+due+` AS due
  FROM order_lines ol JOIN orders o ON o.id = ol.order_id
  WHERE o.status NOT IN ('draft', 'cancelled') AND ol.ack_state <> 'rejected'
    AND `+s.atOrAfter(due)+` AND `+s.before(due)+`
), rc AS (
  SELECT sl.order_line_id AS lid, sl.received AS r, e.created_at AS at
  FROM shipment_lines sl JOIN shipment_events e ON e.shipment_id = sl.shipment_id AND e.kind = 'received'
  WHERE sl.received > 0 AND `+s.before("e.created_at")+`
), per AS (
  SELECT l.pid, l.q, l.due,
         COALESCE(SUM(CASE WHEN `+inTime+` THEN rc.r ELSE 0 END), 0) AS ontime,
         COALESCE(SUM(rc.r), 0) AS total
  FROM l LEFT JOIN rc ON rc.lid = l.id
  GROUP BY l.id, l.pid, l.q, l.due
)
SELECT pid, SUM(q), SUM(`+least+`(ontime, q)), SUM(`+least+`(total, q))
FROM per
-- A line not yet due and not yet delivered has not missed anything:
-- it counts once its due day is over, or once received in full.
WHERE `+dueOver+` OR total >= q
GROUP BY pid`, []any{start, end, now, now}, func(rows *sql.Rows) error {
			var pid int
			var ordered, ontime, received float64
			if err := rows.Scan(&pid, &ordered, &ontime, &received); err != nil {
				return err
			}
			m := get(pid)
			m.OTIF, m.InFull, m.OnTime = ratio(ontime, ordered), ratio(received, ordered), ratio(ontime, received)
			return nil
		})
	})
	s.shipping(ctx, r, start, end, now, get)
	// Replies in the partner's groups, by calendar day in its zone.
	r.do(func() error { return s.replies(ctx, start, end, now, get) })
	if err := r.wait(); err != nil {
		return nil, err
	}
	return out, nil
}

// replies counts, per partner, staff messages awaiting it that its
// contacts answered on the same local day. The day boundaries of every
// partner time zone in the period are computed here (daylight saving
// included) and joined in as a table of values, so the counting stays
// one SQL aggregate.
func (s *Service) replies(ctx context.Context, start, end, now time.Time, get func(int) *Metrics) error {
	var zones []string
	err := s.query(ctx, `SELECT DISTINCT time_zone FROM partners`, nil, func(rows *sql.Rows) error {
		var z string
		if err := rows.Scan(&z); err != nil {
			return err
		}
		zones = append(zones, z)
		return nil
	})
	if err != nil || len(zones) == 0 {
		return err
	}
	var vals []string
	var args []any
	for _, z := range zones {
		loc, err := time.LoadLocation(z)
		if err != nil {
			loc = time.UTC
		}
		lt := start.Add(-36 * time.Hour).In(loc)
		for d := time.Date(lt.Year(), lt.Month(), lt.Day(), 0, 0, 0, 0, loc); d.Before(end.Add(36 * time.Hour)); d = d.AddDate(0, 0, 1) {
			vals = append(vals, "(?, ?t, ?t)")
			args = append(args, z, d.UTC(), d.AddDate(0, 0, 1).UTC())
		}
	}
	args = append(args, start, end, now)
	q := `
WITH days (tz, day_start, day_end) AS (VALUES ` + strings.Join(vals, ", ") + `),
w AS (
  SELECT g.partner_id AS pid, p.created_at, p.replied_at, d.day_end
  FROM posts p
  JOIN "groups" g ON g.id = p.group_id
  JOIN partners pa ON pa.id = g.partner_id
  JOIN days d ON d.tz = pa.time_zone AND ` + s.atOrAfter2("p.created_at", "d.day_start") + ` AND ` + s.before2("p.created_at", "d.day_end") + `
  WHERE p.awaits_reply AND g.partner_id IS NOT NULL AND ` + s.atOrAfter("p.created_at") + ` AND ` + s.before("p.created_at") + `
)
SELECT pid, COUNT(*),
       SUM(CASE WHEN replied_at IS NOT NULL AND ` + s.before2("replied_at", "day_end") + ` AND ` + s.before("replied_at") + ` THEN 1 ELSE 0 END),
       AVG(CASE WHEN replied_at IS NOT NULL AND ` + s.before("replied_at") + ` THEN {secs replied_at created_at} END)
FROM w GROUP BY pid`
	// The last placeholder of before("replied_at") appears twice; the
	// value is now both times.
	args = append(args, now)
	return s.query(ctx, q, args, func(rows *sql.Rows) error {
		var pid int
		var n, same float64
		var mean sql.NullFloat64
		if err := rows.Scan(&pid, &n, &same, &mean); err != nil {
			return err
		}
		m := get(pid)
		m.Replies = ratio(same, n)
		m.FirstReplyHours = ptr(mean, 1.0/3600)
		return nil
	})
}

// Promise accuracy buckets, in days late (negative: early).
var PromiseBuckets = []string{"early_3+", "early_1_2", "on_day", "late_1_2", "late_3_7", "late_8+"}

// shipmentTimes is every shipment's first shipped, arrived and stopped
// times, in one pass over the events (a correlated subquery per
// shipment was the slowest part of a scorecard).
const shipmentTimes = `
WITH se AS (
  SELECT shipment_id,
         MIN(CASE WHEN kind = 'shipped' THEN created_at END) AS shipped,
         MIN(CASE WHEN kind IN ('delivered', 'received') THEN created_at END) AS arrived,
         MIN(CASE WHEN kind IN ('delivered', 'received', 'cancelled') THEN created_at END) AS stopped
  FROM shipment_events GROUP BY shipment_id
)`

// shipping computes the notice, freshness and promise figures.
func (s *Service) shipping(ctx context.Context, r *runner, start, end, now time.Time, get func(int) *Metrics) {
	r.do(func() error {
		return s.query(ctx, shipmentTimes+`, sh AS (
  SELECT s.partner_id AS pid, s.created_at AS noticed, se.shipped, se.arrived
  FROM shipments s JOIN se ON se.shipment_id = s.id WHERE s.status <> 'cancelled'
)
SELECT pid, AVG({secs arrived noticed}),
       SUM(CASE WHEN shipped IS NOT NULL AND {secs shipped noticed} >= 3600 THEN 1 ELSE 0 END),
       COUNT(*)
FROM sh
WHERE arrived IS NOT NULL AND `+s.atOrAfter("arrived")+` AND `+s.before("arrived")+`
GROUP BY pid`, []any{start, end}, func(rows *sql.Rows) error {
			var pid int
			var lead sql.NullFloat64
			var ahead, n float64
			if err := rows.Scan(&pid, &lead, &ahead, &n); err != nil {
				return err
			}
			m := get(pid)
			m.NoticeLeadHours, m.NoticeAhead = ptr(lead, 1.0/3600), ratio(ahead, n)
			return nil
		})
	})
	// Freshness: the longest silence of each shipment while on its way,
	// within the period, including the one up to its arrival or the end.
	r.do(func() error {
		return s.query(ctx, shipmentTimes+`, way AS (
  SELECT s.id, s.partner_id AS pid, se.shipped, COALESCE(se.stopped, ?t) AS until
  FROM shipments s JOIN se ON se.shipment_id = s.id
  WHERE se.shipped IS NOT NULL AND `+s.before("se.shipped")+` AND `+s.atOrAfter("COALESCE(se.stopped, ?t)")+`
), ev AS (
  SELECT w.id, w.pid, w.until, e.created_at AS at,
         LAG(e.created_at) OVER (PARTITION BY e.shipment_id ORDER BY e.id) AS prev
  FROM shipment_events e JOIN way w ON w.id = e.shipment_id
  -- Events come in order (ids), and none precedes "shipped" but
  -- "created"; after the first stop the shipment is no longer on its way.
  WHERE e.kind <> 'created' AND NOT `+s.before2("w.until", "e.created_at")+`
), worst AS (
  SELECT id, pid, MAX(CASE WHEN prev IS NULL THEN 0 ELSE {secs at prev} END) AS between_updates,
         {secs MAX(until) MAX(at)} AS since_last
  FROM ev GROUP BY id, pid
)
SELECT pid, COUNT(*), SUM(CASE WHEN between_updates <= 48 * 3600 AND since_last <= 48 * 3600 THEN 1 ELSE 0 END) FROM worst GROUP BY pid`,
			[]any{now, end, now, start}, func(rows *sql.Rows) error {
				var pid int
				var n, fresh float64
				if err := rows.Scan(&pid, &n, &fresh); err != nil {
					return err
				}
				get(pid).Freshness = ratio(fresh, n)
				return nil
			})
	})
	// Promise accuracy: lines whose last receipt completed them in the
	// period, by days from the promised (else required) date.
	days := "CAST(julianday(date(done)) - julianday(date(due)) AS INTEGER)"
	if s.dialect == dialect.Postgres {
		days = "(CAST(done AS DATE) - CAST(due AS DATE))"
	}
	r.do(func() error {
		return s.query(ctx, `
WITH x AS (
  SELECT ol.partner_id AS pid, COALESCE(ol.promised_date, ol.required_date) AS due, ol.quantity AS q,
         SUM(sl.received) AS got, MAX(e.created_at) AS done
  FROM order_lines ol
  JOIN shipment_lines sl ON sl.order_line_id = ol.id AND sl.received > 0
  JOIN shipment_events e ON e.shipment_id = sl.shipment_id AND e.kind = 'received'
  GROUP BY ol.id, ol.partner_id, ol.promised_date, ol.required_date, ol.quantity
), d AS (
  SELECT pid, `+days+` AS late FROM x
  WHERE got >= q AND `+s.atOrAfter("done")+` AND `+s.before("done")+`
)
SELECT pid,
       CASE WHEN late <= -3 THEN 'early_3+' WHEN late < 0 THEN 'early_1_2' WHEN late = 0 THEN 'on_day'
            WHEN late <= 2 THEN 'late_1_2' WHEN late <= 7 THEN 'late_3_7' ELSE 'late_8+' END AS b,
       COUNT(*)
FROM d GROUP BY pid, b`, []any{start, end}, func(rows *sql.Rows) error {
			var pid, n int
			var b string
			if err := rows.Scan(&pid, &b, &n); err != nil {
				return err
			}
			m := get(pid)
			if m.PromiseDays == nil {
				m.PromiseDays = map[string]int{}
			}
			m.PromiseDays[b] = n
			return nil
		})
	})
}

// runner runs independent queries side by side, at most n at once, and
// keeps the first error.
type runner struct {
	wg  sync.WaitGroup
	sem chan struct{}
	mu  sync.Mutex
	err error
}

func newRunner(n int) *runner { return &runner{sem: make(chan struct{}, n)} }

func (r *runner) do(fn func() error) {
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		r.sem <- struct{}{}
		defer func() { <-r.sem }()
		if err := fn(); err != nil {
			r.mu.Lock()
			if r.err == nil {
				r.err = err
			}
			r.mu.Unlock()
		}
	}()
}

func (r *runner) wait() error {
	r.wg.Wait()
	return r.err
}
