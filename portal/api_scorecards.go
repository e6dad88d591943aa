package portal

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/tierlink/tierlink/partners/scorecards"
)

func (s *Server) registerScorecardRoutes(r api) {
	sc := s.deps.Scorecards
	r.list("/", op{Summary: "Partners ranked by scorecard for the current week, month or quarter (partner users: their own row)",
		Description: "Every partner's scorecard for the current period (period: week, month by default, or quarter), best score first " +
			"unless sort says otherwise, a page at a time; period names the period shown, period_kind its kind as resolved, and items are its rows. " +
			"Partners without business in the period (active false) come after the rest, and those without a value for the sort key sort last, " +
			"in either direction. OTIF counts an order line once its due day is over or it is received in full. " +
			"Filter by kind, tier, category and owner_id. Partner users get their own row only.",
		Tag: "scorecards", Access: authed, Query: scorecards.RankFilter{}, Resp: scorecards.Ranking{}},
		listOf(func(ctx context.Context, f scorecards.RankFilter) (scorecards.Ranking, error) {
			return sc.Rank(ctx, f, time.Now())
		}))
	r.list("/owners", op{Summary: "Supervisors' view: each staff owner's contacts, active partners and their partners' figures, pooled",
		Description: "Each staff user who owns contacts, in name order, a page at a time: how many contacts and active partners they own and " +
			"their partners' figures for the current period, pooled (numerators and denominators summed, not rates averaged), and beside them " +
			"WeCom's own figures of the owner for the period's days (wecom: counts summed; reply_percentage and avg_reply_minutes averaged over " +
			"the days weighted by each day's chat_cnt; chat_total and member_total as on the last day reported), null when the owner is not " +
			"linked to a WeCom member (wecom_userid absent) or WeCom reported no day of the period. Staff only.",
		Tag: "scorecards", Access: staff, Query: scorecards.OwnerFilter{}, Resp: scorecards.OwnerList{}},
		listOf(func(ctx context.Context, q scorecards.OwnerFilter) (scorecards.OwnerList, error) {
			return sc.Owners(ctx, q, time.Now())
		}))
	r.handle("GET", "/:id", op{Summary: "A partner's scorecard: metrics, score, standing and the trend over twelve periods",
		Description: "One partner's metrics for the current period (acknowledgement within SLA, on time in full, replies), its score and standing, " +
			"the trend over the twelve periods ending with it and what each of its contacts did. Closed periods read from stored snapshots. " +
			"Partner users may read their own partner's only; any other id is 404.",
		Tag: "scorecards", Access: authed, Query: scorecards.CardQuery{}, Resp: scorecards.Card{}},
		pagedUnder(func(ctx context.Context, id int, q scorecards.CardQuery) (scorecards.Card, error) {
			return sc.Card(ctx, id, q, time.Now())
		}))
	r.handle("POST", "/recompute", op{Summary: "Recompute a closed period's snapshot after old data was corrected", Tag: "scorecards",
		Description: "Computes again and stores the snapshot of the closed week, month or quarter containing day (YYYY-MM-DD), for when old data " +
			"was corrected; a period not yet closed is 422, as it is computed live. Admins only; audited.",
		Access: admin, Body: scorecards.RecomputeInput{}, Resp: scorecards.RecomputeResult{}}, func(c *fiber.Ctx) error {
		in, err := bind[scorecards.RecomputeInput](c)
		if err != nil {
			return err
		}
		out, err := sc.Recompute(c.UserContext(), in, time.Now())
		if err != nil {
			return err
		}
		return c.JSON(out)
	})
}
