package portal

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/tierlink/tierlink/ent/viewer"
	"github.com/tierlink/tierlink/partners"
	"github.com/tierlink/tierlink/partners/groups"
)

func (s *Server) registerGroupRoutes(r api) {
	g := s.deps.Groups
	r.handle("GET", "/", op{Summary: "List groups (partner users: those they are members of)", Tag: "groups", Access: authed,
		Query: groups.Filter{}, Resp: groups.Page{}}, listOf(g.List))
	r.handle("POST", "/", op{Summary: "Create a partner or internal group with its first members", Tag: "groups", Access: editor,
		Body: groups.GroupInput{}, Resp: groups.Group{}, Status: 201}, create(g.Create))
	r.handle("GET", "/:id", op{Summary: "Get a group", Tag: "groups", Access: authed, Resp: groups.Group{}}, getByID(g.Group))
	r.handle("PATCH", "/:id", op{Summary: "Rename, re-purpose, hand over or archive a group", Tag: "groups", Access: editor,
		Body: groups.GroupPatch{}, Resp: groups.Group{}}, updateByID(g.Update))
	r.handle("GET", "/:id/members", op{Summary: "List a group's staff and external members", Tag: "groups", Access: authed,
		Resp: groups.MemberList{}}, getByID(g.Members))
	r.handle("POST", "/:id/members", op{Summary: "Add a staff user or a contact to a group", Tag: "groups", Access: editor,
		Body: groups.MemberInput{}, Resp: groups.Member{}, Status: 201}, ifExists(g.Exists, createUnder(g.AddMember)))
	r.handle("DELETE", "/:id/members/:member_id", op{Summary: "Remove a member (a partner user streaming the feed is cut off)", Tag: "groups",
		Access: editor, Status: 204}, func(c *fiber.Ctx) error {
		id, err := pathID(c, "id")
		if err != nil {
			return err
		}
		mid, err := pathID(c, "member_id")
		if err != nil {
			return err
		}
		if err := g.RemoveMember(c.UserContext(), id, mid); err != nil {
			return err
		}
		return c.SendStatus(fiber.StatusNoContent)
	})
	r.handle("GET", "/:id/posts", op{Summary: "A group's feed: newest first from a cursor, or oldest first after a feed number", Tag: "groups",
		Access: authed, Query: groups.PostFilter{}, Resp: groups.PostPage{}}, pagedUnder(g.Posts))
	r.handle("POST", "/:id/posts", op{Summary: "Write a message (@mentions, shared documents)", Tag: "groups", Access: authed,
		Body: groups.PostInput{}, Resp: groups.Post{}, Status: 201, Idempotent: true}, ifExists(g.Exists, s.idempotent(createUnder(g.Post))))
	r.handle("GET", "/:id/stream", op{Summary: "Live feed as Server-Sent Events (event: post, id: feed number); resumes after Last-Event-ID or ?after=",
		Tag: "groups", Access: authed, Query: streamQuery{}, Stream: true}, s.stream)
	r.handle("GET", "/:id/bridges", op{Summary: "List a group's bridges to outside chats", Tag: "bridges", Access: staff,
		Resp: groups.BridgeList{}}, getByID(g.Bridges))
	r.handle("POST", "/:id/bridges", op{Summary: "Connect a group to WeCom, Feishu, DingTalk, Slack or a signed webhook", Tag: "bridges",
		Access: editor, Body: groups.BridgeInput{}, Resp: groups.Bridge{}, Status: 201}, ifExists(g.Exists, createUnder(g.CreateBridge)))
}

func (s *Server) registerCardRoutes(r api) {
	r.handle("POST", "/:id/actions", op{Summary: "Press a card's button: approve, reject, acknowledge, confirm_receipt (once; a second press is 409 naming who acted)",
		Tag: "groups", Access: authed, Body: groups.ActionInput{}, Resp: groups.ActionResult{}, Idempotent: true},
		ifExists(s.deps.Groups.CardExists, s.idempotent(updateByID(s.deps.Groups.Act))))
}

func (s *Server) registerBridgeRoutes(r api) {
	g := s.deps.Groups
	r.handle("GET", "/:id", op{Summary: "Get a bridge", Tag: "bridges", Access: staff, Resp: groups.Bridge{}}, getByID(g.Bridge))
	r.handle("PATCH", "/:id", op{Summary: "Rename, pause or tune a bridge", Tag: "bridges", Access: editor,
		Body: groups.BridgePatch{}, Resp: groups.Bridge{}}, updateByID(g.UpdateBridge))
	r.handle("POST", "/:id/test", op{Summary: "Send a test message through the outbox", Tag: "bridges", Access: editor,
		Resp: groups.Delivery{}, Status: 201}, func(c *fiber.Ctx) error {
		id, err := pathID(c, "id")
		if err != nil {
			return err
		}
		d, err := g.SendTest(c.UserContext(), id)
		if err != nil {
			return err
		}
		return c.Status(fiber.StatusCreated).JSON(d)
	})
	r.handle("GET", "/:id/deliveries", op{Summary: "A bridge's delivery log: pending, sent, dead, with the last error", Tag: "bridges",
		Access: staff, Query: groups.DeliveryFilter{}, Resp: groups.DeliveryPage{}}, pagedUnder(g.Deliveries))
}

func (s *Server) registerDeliveryRoutes(r api) {
	r.handle("POST", "/:id/retry", op{Summary: "Put a dead letter back in the outbox", Tag: "bridges", Access: admin,
		Resp: groups.Delivery{}}, func(c *fiber.Ctx) error {
		id, err := pathID(c, "id")
		if err != nil {
			return err
		}
		d, err := s.deps.Groups.RetryDelivery(c.UserContext(), id)
		if err != nil {
			return err
		}
		return c.JSON(d)
	})
}

// streamQuery is the stream's query: where to resume when the client
// cannot send Last-Event-ID (a first connection from a page that already
// shows the feed up to a number).
type streamQuery struct {
	After int64 `query:"after" validate:"omitempty,min=0"`
}

// stream serves a group's feed as Server-Sent Events. Each event is a
// post's latest state under its feed number; a client that reconnects
// with Last-Event-ID first gets what it missed from the database, then
// live changes, skipping numbers it already has — no gap, no duplicate.
func (s *Server) stream(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	q, err := bindQuery[streamQuery](c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	g, err := s.deps.Groups.Group(ctx, id)
	if err != nil {
		return err
	}
	after := g.LastSeq
	if _, given := c.Queries()["after"]; given {
		after = q.After
	}
	if h := c.Get("Last-Event-ID"); h != "" {
		n, err := strconv.ParseInt(h, 10, 64)
		if err != nil || n < 0 {
			return partners.Invalid("Last-Event-ID", "must be a feed number the stream sent")
		}
		after = n
	}
	hub := s.deps.Groups.Hub()
	sub, err := hub.Subscribe(ctx, id)
	if errors.Is(err, groups.ErrClosed) {
		return fiber.NewError(fiber.StatusServiceUnavailable, "the server is shutting down; reconnect")
	}
	if err != nil {
		return err
	}
	v, _ := viewer.FromContext(ctx)
	vctx := viewer.NewContext(context.Background(), v)
	conn := c.Context().Conn()
	beat := s.cfg.StreamHeartbeat
	c.Set(fiber.HeaderContentType, "text/event-stream; charset=utf-8")
	c.Set(fiber.HeaderCacheControl, "no-cache")
	c.Set("X-Accel-Buffering", "no")
	s.metrics.streams.Add(1)
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		defer s.metrics.streams.Add(-1)
		defer hub.Unsubscribe(sub)
		last := after
		flush := func() bool {
			// Each write gets its own deadline: the server's write
			// timeout would otherwise end every stream after a minute.
			_ = conn.SetWriteDeadline(time.Now().Add(2 * beat))
			return w.Flush() == nil
		}
		send := func(seq int64, data []byte) {
			fmt.Fprintf(w, "id: %d\nevent: post\ndata: %s\n\n", seq, data)
			last = seq
		}
		fmt.Fprintf(w, "retry: 2000\n\n")
		for {
			posts, err := s.deps.Groups.Since(vctx, id, last, 500)
			if err != nil {
				return
			}
			for _, p := range posts {
				data, _ := s.app.Config().JSONEncoder(p)
				send(p.Seq, data)
			}
			if len(posts) < 500 {
				break
			}
		}
		if !flush() {
			return
		}
		tick := time.NewTicker(beat)
		defer tick.Stop()
		recheck := time.NewTicker(30 * time.Second)
		defer recheck.Stop()
		stillMember := func() bool {
			if !v.IsPartner() {
				return true
			}
			_, err := s.deps.Groups.Group(vctx, id)
			return err == nil
		}
		for {
			select {
			case ev := <-sub.C:
				if ev.Seq <= last {
					continue
				}
				send(ev.Seq, ev.Data)
				// Send what else is already queued before flushing.
				for more := true; more; {
					select {
					case ev := <-sub.C:
						if ev.Seq > last {
							send(ev.Seq, ev.Data)
						}
					default:
						more = false
					}
				}
				if !flush() {
					return
				}
			case <-tick.C:
				fmt.Fprint(w, ": keep-alive\n\n")
				if !flush() {
					return
				}
			case <-sub.Recheck():
				if !stillMember() {
					return
				}
			case <-recheck.C:
				if !stillMember() {
					return
				}
			case <-sub.Done():
				return
			}
		}
	})
	return nil
}
