package portal

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/tierlink/tierlink/partners/scorecards"
)

func (s *Server) registerScorecardRoutes(r api) {
	sc := s.deps.Scorecards
	r.handle("GET", "/", op{Summary: "Partners ranked by scorecard for the current week, month or quarter (partner users: their own row)",
		Tag: "scorecards", Access: authed, Query: scorecards.RankFilter{}, Resp: scorecards.Ranking{}},
		listOf(func(ctx context.Context, f scorecards.RankFilter) (scorecards.Ranking, error) {
			return sc.Rank(ctx, f, time.Now())
		}))
	r.handle("GET", "/owners", op{Summary: "Supervisors' view: each staff owner's contacts, active partners and their partners' figures, pooled",
		Tag: "scorecards", Access: staff, Query: scorecards.CardQuery{}, Resp: scorecards.OwnerList{}},
		listOf(func(ctx context.Context, q scorecards.CardQuery) (scorecards.OwnerList, error) {
			return sc.Owners(ctx, q, time.Now())
		}))
	r.handle("GET", "/:id", op{Summary: "A partner's scorecard: metrics, score, standing and the trend over twelve periods",
		Tag: "scorecards", Access: authed, Query: scorecards.CardQuery{}, Resp: scorecards.Card{}},
		pagedUnder(func(ctx context.Context, id int, q scorecards.CardQuery) (scorecards.Card, error) {
			return sc.Card(ctx, id, q, time.Now())
		}))
	r.handle("POST", "/recompute", op{Summary: "Recompute a closed period's snapshot after old data was corrected", Tag: "scorecards",
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
