package portal

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/tierlink/tierlink/partners/scorecards"
)

func (s *Server) registerScorecardRoutes(r api) {
	sc := s.deps.Scorecards
	r.handle("GET", "/", op{Summary: "Partners ranked by scorecard for the current week, month or quarter (partner users: their own row)",
		Tag: "scorecards", Access: authed, Query: scorecards.RankFilter{}, Resp: scorecards.Ranking{}}, func(c *fiber.Ctx) error {
		f, err := bindQuery[scorecards.RankFilter](c)
		if err != nil {
			return err
		}
		out, err := sc.Rank(c.UserContext(), f, time.Now())
		if err != nil {
			return err
		}
		return c.JSON(out)
	})
	r.handle("GET", "/owners", op{Summary: "Supervisors' view: each staff owner's contacts, active partners and their partners' figures, pooled",
		Tag: "scorecards", Access: staff, Query: scorecards.CardQuery{}, Resp: scorecards.OwnerList{}}, func(c *fiber.Ctx) error {
		q, err := bindQuery[scorecards.CardQuery](c)
		if err != nil {
			return err
		}
		out, err := sc.Owners(c.UserContext(), q, time.Now())
		if err != nil {
			return err
		}
		return c.JSON(out)
	})
	r.handle("GET", "/:id", op{Summary: "A partner's scorecard: metrics, score, standing and the trend over twelve periods",
		Tag: "scorecards", Access: authed, Query: scorecards.CardQuery{}, Resp: scorecards.Card{}}, func(c *fiber.Ctx) error {
		id, err := pathID(c, "id")
		if err != nil {
			return err
		}
		q, err := bindQuery[scorecards.CardQuery](c)
		if err != nil {
			return err
		}
		out, err := sc.Card(c.UserContext(), id, q, time.Now())
		if err != nil {
			return err
		}
		return c.JSON(out)
	})
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
