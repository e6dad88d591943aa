package portal

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/idempotencykey"
	"github.com/tierlink/tierlink/ent/post"
	"github.com/tierlink/tierlink/ent/shipment"
	"github.com/tierlink/tierlink/ent/shipmentevent"
	"github.com/tierlink/tierlink/ent/viewer"
	"github.com/tierlink/tierlink/partners"
	"github.com/tierlink/tierlink/partners/groups"
	"github.com/tierlink/tierlink/partners/shipments"
)

// IdempotencyTTL is how long a key's saved answer is kept (documented in
// the API). A key whose work created a record outlives it, without the
// answer, for as long as the record exists (partners.PurgeIdempotencyKeys).
const IdempotencyTTL = 24 * time.Hour

// afterIdempotentCommit, when set, runs after a request's work committed
// under its key and before its answer is saved: the crash tests build
// the binary with the tierlink_crashpoints tag to die right there.
var afterIdempotentCommit func(key string)

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

// idempotentRoute says, for one route served through idempotent, which
// record its work creates and how to answer from that record: the
// answer a retry gets when the first answer was never saved (the server
// died between the commit and the save) or has expired.
type idempotentRoute struct {
	// record is the ent type of the record the work creates, named on
	// the key in the work's own transaction.
	record string
	// byPath: the path's :id names the record instead (a card the work
	// acts on rather than creates).
	byPath bool
	// answer reads the record back as the caller, through the service
	// read the route answers with, and gives the route's status.
	answer func(s *Server, ctx context.Context, pathID, recordID int) (int, any, error)
}

// idempotentRoutes lists every route served through idempotent, by
// method and path; TestIdempotentRoutesAnswerFromTheirRecord fails for a
// route marked Idempotent without a row here.
var idempotentRoutes = map[string]idempotentRoute{
	"POST /api/v1/shipments": {record: ent.TypeShipment,
		answer: func(s *Server, ctx context.Context, _, id int) (int, any, error) {
			out, err := s.deps.Shipments.Shipment(ctx, id)
			return fiber.StatusCreated, out, err
		}},
	"POST /api/v1/shipments/:id/events": {record: ent.TypeShipmentEvent, answer: (*Server).shipmentEventAnswer},
	"POST /api/v1/groups/:id/posts": {record: ent.TypePost,
		answer: func(s *Server, ctx context.Context, groupID, id int) (int, any, error) {
			out, err := s.feedPost(ctx, groupID, id)
			return fiber.StatusCreated, out, err
		}},
	"POST /api/v1/orders/:id/acknowledgements": {record: ent.TypeAcknowledgement,
		answer: func(s *Server, ctx context.Context, orderID, _ int) (int, any, error) {
			out, err := s.deps.Orders.Order(ctx, orderID)
			return fiber.StatusCreated, out, err
		}},
	"POST /api/v1/cards/:id/actions": {record: ent.TypePost, byPath: true,
		answer: func(s *Server, ctx context.Context, cardID, _ int) (int, any, error) {
			card, err := s.deps.DB.Client.Post.Get(viewer.NewContext(ctx, viewer.System("idempotency")), cardID)
			if err != nil {
				return 0, nil, err
			}
			out, err := s.feedPost(ctx, card.GroupID, cardID)
			return fiber.StatusOK, groups.ActionResult{Card: out}, err
		}},
}

// idempotent gives a state-changing route the Idempotency-Key semantics
// of the IETF httpapi draft: a retry with the same key and body replays
// the first response; the same key with another body is a 422; a key
// whose first request is still running is a 409. Keys are scoped to the
// caller.
//
// The key is marked committed in the same transaction as the work, and
// names the record the work created (see partners.WithTx); the answer is
// saved afterwards. A retry that finds the work committed but no answer
// saved — the server died in between — is answered from that record
// through the route's own read, as the caller, and that answer is saved.
// So the work is never done twice, and its result is never lost.
func (s *Server) idempotent(h fiber.Handler) fiber.Handler {
	if s.deps.DB != nil {
		partners.WatchIdempotentWork(s.deps.DB.Client)
	}
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
		claim := partners.IdempotencyClaim{Scope: "u" + strconv.Itoa(v.UserID), Key: key, ExpiresAt: s.now().Add(IdempotencyTTL)}
		sum := sha256.Sum256([]byte(c.Method() + " " + c.OriginalURL() + "\n" + string(c.Body())))
		claim.Hash = hex.EncodeToString(sum[:])
		if route, ok := idempotentRoutes[c.Method()+" "+c.Route().Path]; ok {
			claim.RecordType = route.record
			if route.byPath {
				id, err := pathID(c, "id")
				if err != nil {
					return err
				}
				claim.RecordID = id
			}
		}
		sys := viewer.NewContext(c.UserContext(), viewer.System("idempotency"))
		keys := s.deps.DB.Client.IdempotencyKey
		if done, err := s.replay(c, sys, claim); done || err != nil {
			return err
		}
		ctx, work := partners.WithIdempotencyKey(c.UserContext(), claim)
		c.SetUserContext(ctx)
		err := h(c)
		if errors.Is(err, partners.ErrIdempotencyTaken) {
			// A concurrent duplicate committed first; this one was
			// rolled back. Answer as a retry would be answered.
			return s.answerAsRetry(c, sys, claim)
		}
		if err != nil {
			if herr := s.errorHandler(c, err); herr != nil {
				return herr
			}
		}
		status := c.Response().StatusCode()
		if work.Committed {
			// The work committed under the key. Save its answer; if it
			// is not a success (the read after the commit failed), leave
			// the key unanswered so that a retry rebuilds the answer.
			if status < 200 || status > 299 {
				return nil
			}
			if afterIdempotentCommit != nil {
				afterIdempotentCommit(claim.Key)
			}
			body := append([]byte(nil), c.Response().Body()...)
			_, err := keys.Update().Where(idempotencykey.Scope(claim.Scope), idempotencykey.Key(claim.Key)).
				SetState(idempotencykey.StateDone).SetStatusCode(status).SetResponse(body).Save(sys)
			return err
		}
		if status >= 500 {
			return nil // nothing committed under the key; a retry redoes it
		}
		// Nothing committed under the key (a refusal, mostly a 4xx):
		// remember that answer too, so the retry gets the same one.
		body := append([]byte(nil), c.Response().Body()...)
		err = keys.Create().SetScope(claim.Scope).SetKey(claim.Key).SetRequestHash(claim.Hash).SetState(idempotencykey.StateDone).
			SetStatusCode(status).SetResponse(body).SetExpiresAt(claim.ExpiresAt).Exec(sys)
		if ent.IsConstraintError(err) {
			// A duplicate committed its work while this one was being
			// refused (it found the work already done, say): its answer
			// is the true one.
			return s.answerAsRetry(c, sys, claim)
		}
		return err
	}
}

// answerAsRetry drops the answer being built and answers as a retry of
// the key would be answered.
func (s *Server) answerAsRetry(c *fiber.Ctx, sys context.Context, claim partners.IdempotencyClaim) error {
	c.Response().Reset()
	s.securityHeaders(c)
	c.Set(fiber.HeaderXRequestID, requestID(c))
	if done, err := s.replay(c, sys, claim); done || err != nil {
		return err
	}
	return partners.Errorf(partners.EConflict, "a request with this Idempotency-Key is being processed; retry shortly")
}

// replay answers a request whose key was seen before: the saved answer
// while it is kept; else, when the work committed, the answer rebuilt
// from the record the work named; a 422 when the key came with another
// request. It reports whether it answered. A key past its expiry that
// names no record, or comes with another request, is forgotten, and the
// request is handled as new.
func (s *Server) replay(c *fiber.Ctx, sys context.Context, claim partners.IdempotencyClaim) (bool, error) {
	keys := s.deps.DB.Client.IdempotencyKey
	prev, err := keys.Query().Where(idempotencykey.Scope(claim.Scope), idempotencykey.Key(claim.Key)).Only(sys)
	if ent.IsNotFound(err) {
		return false, nil
	} else if err != nil {
		return true, err
	}
	expired := s.now().After(prev.ExpiresAt)
	if expired && (prev.RequestHash != claim.Hash || prev.RecordID == nil) {
		_, err := keys.Delete().Where(idempotencykey.ID(prev.ID)).Exec(sys)
		return err != nil, err
	}
	if prev.RequestHash != claim.Hash {
		return true, partners.Invalid("Idempotency-Key", "was already used with a different request; use a new key for a new request")
	}
	if prev.State == idempotencykey.StateDone && !expired {
		c.Set("Idempotent-Replayed", "true")
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
		if prev.StatusCode >= 400 {
			c.Set(fiber.HeaderContentType, "application/problem+json")
		}
		return true, c.Status(prev.StatusCode).Send(prev.Response)
	}
	if prev.RecordID != nil {
		return true, s.answerFromRecord(c, sys, prev, !expired)
	}
	// Committed work that names no record: keys written before records
	// were named.
	return true, partners.Errorf(partners.EConflict, "a request with this Idempotency-Key was just applied and its answer is being saved; retry shortly")
}

// answerFromRecord answers a retry of committed work from the record it
// named, read as the caller through the route's own read, and saves
// that answer while the key's answer is still kept.
func (s *Server) answerFromRecord(c *fiber.Ctx, sys context.Context, prev *ent.IdempotencyKey, save bool) error {
	route, ok := idempotentRoutes[c.Method()+" "+c.Route().Path]
	if !ok || route.record != prev.RecordType {
		return fmt.Errorf("idempotency key %d names a %s, which route %s %s cannot answer from", prev.ID, prev.RecordType, c.Method(), c.Route().Path)
	}
	id := 0
	if strings.Contains(c.Route().Path, ":id") {
		var err error
		if id, err = pathID(c, "id"); err != nil {
			return err
		}
	}
	status, out, err := route.answer(s, c.UserContext(), id, *prev.RecordID)
	if err != nil {
		return err
	}
	if err := c.Status(status).JSON(out); err != nil {
		return err
	}
	c.Set("Idempotent-Replayed", "true")
	if !save {
		return nil
	}
	// Only an unanswered key: the first request may have saved its own
	// answer meanwhile, and that one stands.
	_, err = s.deps.DB.Client.IdempotencyKey.Update().
		Where(idempotencykey.ID(prev.ID), idempotencykey.StateNEQ(idempotencykey.StateDone)).
		SetState(idempotencykey.StateDone).SetStatusCode(status).SetResponse(append([]byte(nil), c.Response().Body()...)).Save(sys)
	return err
}

// shipmentEventAnswer rebuilds the answer to a status update from the
// event it recorded, with the shipment read as the caller.
func (s *Server) shipmentEventAnswer(ctx context.Context, shipmentID, eventID int) (int, any, error) {
	sh, err := s.deps.Shipments.Shipment(ctx, shipmentID)
	if err != nil {
		return 0, nil, err
	}
	ev, err := s.deps.DB.Client.ShipmentEvent.Query().Where(shipmentevent.ID(eventID), shipmentevent.ShipmentID(shipmentID)).
		Only(viewer.NewContext(ctx, viewer.System("idempotency")))
	if err != nil {
		return 0, nil, err
	}
	res := shipments.EventResult{ShipmentID: shipmentID, Status: shipment.Status(ev.Kind), ETA: sh.ETA,
		Event: shipments.Event{Kind: ev.Kind, Reason: ev.Reason, NewETA: ev.NewEta, Location: ev.Location, Actor: ev.Actor, At: ev.CreatedAt}}
	if ev.NewEta != nil {
		res.ETA = ev.NewEta
	}
	return fiber.StatusCreated, res, nil
}

// feedPost reads one post of a group as the feed shows it to the caller.
func (s *Server) feedPost(ctx context.Context, groupID, id int) (groups.Post, error) {
	row, err := s.deps.DB.Client.Post.Query().Where(post.ID(id), post.GroupID(groupID)).
		Only(viewer.NewContext(ctx, viewer.System("idempotency")))
	if err != nil {
		return groups.Post{}, err
	}
	ps, err := s.deps.Groups.Since(ctx, groupID, row.Seq-1, 1)
	if err != nil {
		return groups.Post{}, err
	}
	if len(ps) != 1 || ps[0].ID != id {
		return groups.Post{}, fmt.Errorf("post %d is not at feed number %d of group %d", id, row.Seq, groupID)
	}
	return ps[0], nil
}
