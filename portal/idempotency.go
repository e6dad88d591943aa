package portal

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
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
		// Copied: fiber's header strings alias a buffer the next request
		// reuses; the key must not change under us.
		key := strings.Clone(c.Get("Idempotency-Key"))
		if key == "" {
			return h(c)
		}
		if !validIdempotencyKey(key) {
			return partners.Invalid("Idempotency-Key", "must be 1 to 255 visible ASCII characters")
		}
		v := currentViewer(c)
		claim := partners.IdempotencyClaim{Scope: "u" + strconv.Itoa(v.UserID), Key: key, ExpiresAt: time.Now().Add(IdempotencyTTL)}
		sum := sha256.Sum256([]byte(c.Method() + " " + c.OriginalURL() + "\n" + string(c.Body())))
		claim.Hash = hex.EncodeToString(sum[:])
		sys := viewer.NewContext(c.UserContext(), viewer.System("idempotency"))
		keys := s.deps.DB.Client.IdempotencyKey
		if done, err := s.replay(c, sys, claim); done || err != nil {
			return err
		}
		c.SetUserContext(partners.WithIdempotencyKey(c.UserContext(), claim))
		err := h(c)
		if errors.Is(err, partners.ErrIdempotencyTaken) {
			// A concurrent duplicate committed first; this one was
			// rolled back. Answer as a retry would be answered.
			c.Response().Reset()
			s.securityHeaders(c)
			c.Set(fiber.HeaderXRequestID, requestID(c))
			if done, err := s.replay(c, sys, claim); done || err != nil {
				return err
			}
			return partners.Errorf(partners.EConflict, "a request with this Idempotency-Key is being processed; retry shortly")
		}
		if err != nil {
			if herr := s.errorHandler(c, err); herr != nil {
				return herr
			}
		}
		status := c.Response().StatusCode()
		if status >= 500 {
			return nil // nothing committed under the key; a retry redoes it
		}
		body := append([]byte(nil), c.Response().Body()...)
		n, err := keys.Update().Where(idempotencykey.Scope(claim.Scope), idempotencykey.Key(claim.Key)).
			SetState(idempotencykey.StateDone).SetStatusCode(status).SetResponse(body).Save(sys)
		if err != nil || n > 0 {
			return err
		}
		// The request failed before any work (a 4xx): remember that
		// answer too, so the retry gets the same one.
		err = keys.Create().SetScope(claim.Scope).SetKey(claim.Key).SetRequestHash(claim.Hash).SetState(idempotencykey.StateDone).
			SetStatusCode(status).SetResponse(body).SetExpiresAt(claim.ExpiresAt).Exec(sys)
		if ent.IsConstraintError(err) {
			return nil
		}
		return err
	}
}

// replay answers a request whose key was seen before: the stored response
// when it is done, a 409 while the first request is still in flight, a
// 422 when the key came with another request. It reports whether it
// answered.
func (s *Server) replay(c *fiber.Ctx, sys context.Context, claim partners.IdempotencyClaim) (bool, error) {
	keys := s.deps.DB.Client.IdempotencyKey
	prev, err := keys.Query().Where(idempotencykey.Scope(claim.Scope), idempotencykey.Key(claim.Key)).Only(sys)
	if ent.IsNotFound(err) {
		return false, nil
	} else if err != nil {
		return true, err
	}
	if time.Now().After(prev.ExpiresAt) {
		_, err := keys.Delete().Where(idempotencykey.ID(prev.ID)).Exec(sys)
		return err != nil, err
	}
	if prev.RequestHash != claim.Hash {
		return true, partners.Invalid("Idempotency-Key", "was already used with a different request; use a new key for a new request")
	}
	if prev.State != idempotencykey.StateDone {
		return true, partners.Errorf(partners.EConflict, "a request with this Idempotency-Key was just applied and its answer is being saved; retry shortly")
	}
	c.Set("Idempotent-Replayed", "true")
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	if prev.StatusCode >= 400 {
		c.Set(fiber.HeaderContentType, "application/problem+json")
	}
	return true, c.Status(prev.StatusCode).Send(prev.Response)
}
