package portal

import (
	"context"

	"github.com/gofiber/fiber/v2"
)

// deleteByID serves DELETE of the record named by the :id path
// parameter: every DELETE answers 204 with no body, whether the service
// removes the record or only marks it (a revoked token stays listed).
func deleteByID(fn func(context.Context, int) error) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := pathID(c, "id")
		if err != nil {
			return err
		}
		if err := fn(c.UserContext(), id); err != nil {
			return err
		}
		return c.SendStatus(fiber.StatusNoContent)
	}
}
