package portal

import (
	"context"

	"github.com/gofiber/fiber/v2"
)

// The API's handlers share a few shapes, one helper each (deleteByID is
// in handlers_delete.go). Each does the whole of decode → validate →
// call the service with the request's context → respond, so handlers
// differ only in the service call they name.

// listOf serves GET with a query struct.
func listOf[Q, R any](fn func(context.Context, Q) (R, error)) fiber.Handler {
	return func(c *fiber.Ctx) error {
		q, err := bindQuery[Q](c)
		if err != nil {
			return err
		}
		out, err := fn(c.UserContext(), q)
		if err != nil {
			return err
		}
		return c.JSON(out)
	}
}

// create serves POST with a JSON body, answering 201.
func create[B, R any](fn func(context.Context, B) (R, error)) fiber.Handler {
	return func(c *fiber.Ctx) error {
		in, err := bind[B](c)
		if err != nil {
			return err
		}
		out, err := fn(c.UserContext(), in)
		if err != nil {
			return err
		}
		return c.Status(fiber.StatusCreated).JSON(out)
	}
}

// byID serves a request that names one record by the :id path parameter
// and carries no body: GET of the record, or POST of a bodiless action on
// it (publish, cancel, send a test), answering 200 with the result.
func byID[R any](fn func(context.Context, int) (R, error)) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := pathID(c, "id")
		if err != nil {
			return err
		}
		out, err := fn(c.UserContext(), id)
		if err != nil {
			return err
		}
		return c.JSON(out)
	}
}

// updateByID serves a change (PATCH, or POST of an action) to the record
// named by :id, with a JSON body.
func updateByID[B, R any](fn func(context.Context, int, B) (R, error)) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := pathID(c, "id")
		if err != nil {
			return err
		}
		in, err := bind[B](c)
		if err != nil {
			return err
		}
		out, err := fn(c.UserContext(), id, in)
		if err != nil {
			return err
		}
		return c.JSON(out)
	}
}

// listUnder serves GET of records under the :id parent, after checking
// the parent is visible (so a hidden parent is a 404, not an empty list).
func listUnder[Q, P, R any](parent func(context.Context, int) (P, error), set func(*Q, int), fn func(context.Context, Q) (R, error)) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := pathID(c, "id")
		if err != nil {
			return err
		}
		q, err := bindQuery[Q](c)
		if err != nil {
			return err
		}
		if _, err := parent(c.UserContext(), id); err != nil {
			return err
		}
		set(&q, id)
		out, err := fn(c.UserContext(), q)
		if err != nil {
			return err
		}
		return c.JSON(out)
	}
}

// createUnder serves POST of a JSON body that creates something under the
// record named by :id, answering 201.
func createUnder[B, R any](fn func(context.Context, int, B) (R, error)) fiber.Handler {
	h := updateByID(fn)
	return func(c *fiber.Ctx) error {
		if err := h(c); err != nil {
			return err
		}
		if c.Response().StatusCode() == fiber.StatusOK {
			c.Status(fiber.StatusCreated)
		}
		return nil
	}
}

// ifExists answers 404 for an :id that names nothing visible before the
// handler judges the body, so an unknown record is never a 422.
func ifExists[P any](lookup func(context.Context, int) (P, error), h fiber.Handler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := pathID(c, "id")
		if err != nil {
			return err
		}
		if _, err := lookup(c.UserContext(), id); err != nil {
			return err
		}
		return h(c)
	}
}

// pagedUnder serves GET of a page of records under :id.
func pagedUnder[Q, R any](fn func(context.Context, int, Q) (R, error)) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := pathID(c, "id")
		if err != nil {
			return err
		}
		q, err := bindQuery[Q](c)
		if err != nil {
			return err
		}
		out, err := fn(c.UserContext(), id, q)
		if err != nil {
			return err
		}
		return c.JSON(out)
	}
}
