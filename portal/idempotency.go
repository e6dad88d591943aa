package portal

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/idempotencykey"
	"github.com/tierlink/tierlink/ent/viewer"
	"github.com/tierlink/tierlink/partners"
)

// IdempotencyTTL is how long a key is remembered (documented in the API).
const IdempotencyTTL = 24 * time.Hour

func validIdempotencyKey(k string) bool {
	if len(k) == 0 || len(k) > 255 {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x21 || k[i] > 0x7e {
			return false
		}
	}
	return true
}

// idempotent gives a state-changing route the Idempotency-Key semantics
// of the IETF httpapi draft: a retry with the same key and body replays
// the first response; the same key with another body is a 422; a key
// whose first request is still running is a 409. Keys are scoped to the
// caller and remembered for IdempotencyTTL. The key is marked committed
// in the same transaction as the work (see partners.WithTx), so even a
// crash between the work and the saved response never doubles the work.
func (s *Server) idempotent(h fiber.Handler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		key := c.Get("Idempotency-Key")
		if key == "" {
			return h(c)
		}
		if !validIdempotencyKey(key) {
			return partners.Invalid("Idempotency-Key", "must be 1 to 255 visible ASCII characters")
		}
		v := currentViewer(c)
		scope := "u" + strconv.Itoa(v.UserID)
		sum := sha256.Sum256([]byte(c.Method() + " " + c.OriginalURL() + "\n" + string(c.Body())))
		hash := hex.EncodeToString(sum[:])
		sys := viewer.NewContext(c.UserContext(), viewer.System("idempotency"))
		keys := s.deps.DB.Client.IdempotencyKey
		var row *ent.IdempotencyKey
		for attempt := 0; attempt < 2 && row == nil; attempt++ {
			now := time.Now()
			created, err := keys.Create().SetScope(scope).SetKey(key).SetRequestHash(hash).SetCreatedAt(now).
				SetExpiresAt(now.Add(IdempotencyTTL)).Save(sys)
			if err == nil {
				row = created
				break
			}
			if !ent.IsConstraintError(err) {
				return err
			}
			prev, err := keys.Query().Where(idempotencykey.Scope(scope), idempotencykey.Key(key)).Only(sys)
			if ent.IsNotFound(err) {
				continue // expired and removed meanwhile
			} else if err != nil {
				return err
			}
			if now.After(prev.ExpiresAt) {
				if _, err := keys.Delete().Where(idempotencykey.ID(prev.ID), idempotencykey.ExpiresAtLT(now)).Exec(sys); err != nil {
					return err
				}
				continue
			}
			if prev.RequestHash != hash {
				return partners.Invalid("Idempotency-Key", "was already used with a different request; use a new key for a new request")
			}
			switch prev.State {
			case idempotencykey.StateInFlight:
				return partners.Errorf(partners.EConflict, "a request with this Idempotency-Key is still being processed; retry shortly")
			case idempotencykey.StateCommitted:
				return partners.Errorf(partners.EConflict, "the request with this Idempotency-Key was applied, but its response was not kept; fetch the resource to see it")
			}
			c.Set("Idempotent-Replayed", "true")
			c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
			if prev.StatusCode >= 400 {
				c.Set(fiber.HeaderContentType, "application/problem+json")
			}
			return c.Status(prev.StatusCode).Send(prev.Response)
		}
		if row == nil {
			return partners.Errorf(partners.EConflict, "the Idempotency-Key is busy; retry shortly")
		}
		c.SetUserContext(partners.WithIdempotencyKey(c.UserContext(), row.ID))
		if err := h(c); err != nil {
			if herr := s.errorHandler(c, err); herr != nil {
				return herr
			}
		}
		status := c.Response().StatusCode()
		if status >= 500 {
			// Nothing was applied that a retry should not redo.
			_, err := keys.Delete().Where(idempotencykey.ID(row.ID)).Exec(sys)
			return err
		}
		body := append([]byte(nil), c.Response().Body()...)
		return keys.UpdateOneID(row.ID).SetState(idempotencykey.StateDone).SetStatusCode(status).SetResponse(body).Exec(sys)
	}
}
