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
	"github.com/tierlink/tierlink/partners/i18n"
)

func (s *Server) registerGroupRoutes(r api) {
	g := s.deps.Groups
	r.list("/", op{Summary: "List groups (partner users: those they are members of)", Tag: "groups", Access: authed,
		Description: "Groups newest first, a page at a time; filter by partner_id, kind (partner or internal) and archived. " +
			"Staff see every group; partner users only the partner groups their contact is a member of.",
		Query: groups.Filter{}, Resp: groups.Page{}}, listOf(g.List))
	r.handle("POST", "/", op{Summary: "Create a partner or internal group with its first members", Tag: "groups", Access: editor,
		Description: "Creates a group with its first members: a partner group (partner_id required) may hold staff users and contacts, " +
			"an internal group staff only; all_contacts adds every contact of the partner as well. The owner defaults to the caller. Buyers and admins.",
		Body: groups.GroupInput{}, Resp: groups.Group{}, Status: 201}, create(g.Create))
	r.handle("GET", "/:id", op{Summary: "Get a group", Tag: "groups", Access: authed, Resp: groups.Group{},
		Description: "One group with its member count, latest feed number (last_seq) and digest setting. " +
			"Partner users may read only groups they are members of; any other id is 404."}, byID(g.Group))
	r.handle("PATCH", "/:id", op{Summary: "Rename, re-purpose, hand over or archive a group", Tag: "groups", Access: editor,
		Description: "Changes the fields sent and keeps the rest: name, purpose, owner (an active staff user), language, archived " +
			"(an archived group takes no new posts) and the status digest (on or off, a cron schedule, quiet). Buyers and admins.",
		Body: groups.GroupPatch{}, Resp: groups.Group{}}, updateByID(g.Update))
	r.list("/:id/members", op{Summary: "List a group's staff and external members", Tag: "groups", Access: authed,
		Description: "The group's members in the order they were added, a page at a time: staff users and partner contacts, with their side. " +
			"Anyone who may read the group may list its members.",
		Query: groups.MemberFilter{}, Resp: groups.MemberPage{}}, pagedUnder(g.ListMembers))
	r.handle("POST", "/:id/members", op{Summary: "Add a staff user or a contact to a group", Tag: "groups", Access: editor,
		Description: "Adds an active staff user (user_id) or a partner contact (contact_id; not to an internal group). " +
			"Adding someone who is already a member is 409. Buyers and admins.",
		Body: groups.MemberInput{}, Resp: groups.Member{}, Status: 201, Errors: []int{409}}, ifExists(g.Exists, createUnder(g.AddMember)))
	r.handle("DELETE", "/:id/members/:member_id", op{Summary: "Remove a member (a partner user streaming the feed is cut off)", Tag: "groups",
		Description: "Removes a member and answers 204 with no body; a partner user following the live stream is cut off at once. " +
			"The group's owner cannot be removed (409): hand the group over first. Buyers and admins.",
		Access: editor, Status: 204, Errors: []int{409}}, func(c *fiber.Ctx) error {
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
	r.list("/:id/posts", op{Summary: "A group's feed: newest first from a cursor, or oldest first after a feed number", Tag: "groups",
		Description: "The group's posts (messages, system posts, cards) a page at a time: newest first following next_cursor, " +
			"or, with after, oldest first from that feed number on, to catch up. A changed card comes again under a new feed number. " +
			"Members only for partner users; staff read every group.",
		Access: authed, Query: groups.PostFilter{}, Resp: groups.PostPage{}}, pagedUnder(g.Posts))
	r.handle("POST", "/:id/posts", op{Summary: "Write a message (@mentions, shared documents)", Tag: "groups", Access: authed,
		Description: "Posts a message; @name mentions a member, and document_ids share up to 20 documents of the group's own partner " +
			"(partner groups only). An archived group is 409. Buyers, admins and member partner users; viewers read only. " +
			"Send an Idempotency-Key to retry safely.",
		Body: groups.PostInput{}, Resp: groups.Post{}, Status: 201, Idempotent: true}, ifExists(g.Exists, s.idempotent(createUnder(g.Post))))
	r.handle("GET", "/:id/stream", op{Summary: "Live feed as Server-Sent Events (event: post, id: feed number); resumes after Last-Event-ID or ?after=",
		Description: "A stream that does not end: every new or changed post as `event: post` with its feed number as the event id, " +
			"and a keep-alive comment between. Reconnecting with Last-Event-ID (or after=) first sends what was missed, without gap or duplicate. " +
			"A partner user removed from the group is cut off.",
		Tag: "groups", Access: authed, Query: streamQuery{}, Stream: true}, s.stream)
	r.list("/:id/bridges", op{Summary: "List a group's bridges to outside chats", Tag: "bridges", Access: staff,
		Description: "The group's bridges oldest first, a page at a time, with their pending and dead outbox counts; URLs are masked " +
			"and secrets never shown. Staff only.",
		Query: groups.BridgeFilter{}, Resp: groups.BridgeList{}}, pagedUnder(g.Bridges))
	r.handle("POST", "/:id/bridges", op{Summary: "Connect a group to WeCom, Feishu, DingTalk, Slack or a signed webhook", Tag: "bridges",
		Description: "Adds a bridge that mirrors the group's posts and/or status into an outside chat through the outbox, at most " +
			"rate_per_minute messages. The URL may not point at internal addresses (422). The secret (signing key) is never shown again; " +
			"a webhook bridge created without one gets a generated secret, shown in this answer only. Buyers and admins.",
		Access: editor, Body: groups.BridgeInput{}, Resp: groups.Bridge{}, Status: 201}, ifExists(g.Exists, createUnder(g.CreateBridge)))
}

func (s *Server) registerCardRoutes(r api) {
	r.handle("POST", "/:id/actions", op{Summary: "Press a card's button: approve, reject, acknowledge, confirm_receipt (once; a second press is 409 naming who acted)",
		Description: "Acts on the record behind a card (a change request, an order, a shipment) exactly as the record's own route would, " +
			"and answers the card in its new state. Each button belongs to one side, staff or partner (the other side is 403), " +
			"and a card acts once: a second press, here or through the record's route, is 409 naming who acted and when. " +
			"Send an Idempotency-Key to retry safely.",
		Tag: "groups", Access: authed, Body: groups.ActionInput{}, Resp: groups.ActionResult{}, Idempotent: true},
		ifExists(s.deps.Groups.CardExists, s.idempotent(updateByID(s.deps.Groups.Act))))
}

func (s *Server) registerBridgeRoutes(r api) {
	g := s.deps.Groups
	r.handle("GET", "/:id", op{Summary: "Get a bridge", Tag: "bridges", Access: staff, Resp: groups.Bridge{},
		Description: "One bridge with its settings and outbox counts; the URL is masked and the secret never shown. Staff only."}, byID(g.Bridge))
	r.handle("PATCH", "/:id", op{Summary: "Rename, pause or tune a bridge", Tag: "bridges", Access: editor,
		Description: "Changes the fields sent and keeps the rest: name, enabled (false stops the bridge: it takes no new messages and holds those pending), " +
			"what it mirrors and its rate per minute. Buyers and admins.",
		Body: groups.BridgePatch{}, Resp: groups.Bridge{}}, updateByID(g.UpdateBridge))
	r.handle("POST", "/:id/test", op{Summary: "Send a test message through the outbox", Tag: "bridges", Access: editor,
		Description: "Queues a test message to this bridge like any other delivery and answers the delivery (201); " +
			"its log then shows whether the far end took it. Buyers and admins.",
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
	r.list("/:id/deliveries", op{Summary: "A bridge's delivery log: pending, sent, dead, with the last error", Tag: "bridges",
		Access: staff, Query: groups.DeliveryFilter{}, Resp: groups.DeliveryPage{},
		Description: "The bridge's deliveries newest first, a page at a time, with attempts and the last error; filter by state or post_id. Staff only."},
		pagedUnder(g.Deliveries))
}

func (s *Server) registerDeliveryRoutes(r api) {
	r.handle("POST", "/:id/retry", op{Summary: "Put a dead letter back in the outbox", Tag: "bridges", Access: admin,
		Resp: groups.Delivery{}, Errors: []int{409},
		Description: "Queues a dead delivery again with fresh attempts. Only a dead letter can be retried: a pending or sent one is 409. Admins only."},
		func(c *fiber.Ctx) error {
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
	lang := i18n.FromContext(ctx).Lang()
	vctx := viewer.NewContext(i18n.WithLanguage(context.Background(), lang), v)
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
				send(ev.Seq, ev.For(lang))
				// Send what else is already queued before flushing.
				for more := true; more; {
					select {
					case ev := <-sub.C:
						if ev.Seq > last {
							send(ev.Seq, ev.For(lang))
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
