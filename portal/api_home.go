package portal

import (
	"github.com/gofiber/fiber/v2"

	"github.com/tierlink/tierlink/partners/todo"
)

// registerToDoRoutes serves the home's lists to API clients (a mobile
// app, a chat bot), from the same service as the page.
func (s *Server) registerToDoRoutes(r api) {
	r.handle("GET", "/", op{Summary: "My to-do list: what waits for my answer, by role", Tag: "auth", Access: authed, Resp: todo.ToDo{},
		Description: "The caller's home. A partner user gets its partner's orders awaiting an answer (oldest first, each with due_at: " +
			"publication plus the partner's acknowledgement SLA), shipments on their way due an update (ETA day over, or no update for 72 hours), " +
			"its change requests open or decided in the last 14 days, and certificates expired or expiring within 30 days. A buyer or admin gets " +
			"change requests to decide, delivered shipments to receive, orders unanswered past their SLA and upstream lines past their due date " +
			"not fully received, with the records of partners whose contacts they own, and orders they bought, first (mine: true). Viewers and " +
			"admins get movers: partners whose weekly score changed most since the same point last week, up and down. Each list has its " +
			"whole count and at most 50 items."}, func(c *fiber.Ctx) error {
		t, err := s.todo().For(c.UserContext())
		if err != nil {
			return err
		}
		return c.JSON(t)
	})
}
