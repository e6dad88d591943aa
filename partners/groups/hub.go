package groups

import (
	"context"
	"encoding/json"
	"errors"
	"sync"

	"github.com/tierlink/tierlink/ent/viewer"
	"github.com/tierlink/tierlink/partners/i18n"
)

// Event is one feed change on a stream: the post's latest state under
// its feed number.
type Event struct {
	Seq  int64
	Data []byte // the Post as JSON, in English
	// byLang is the Post as JSON in each catalogue language: a system
	// post's body is rendered in the reader's language, and a live post
	// must read as the same post does after a reload.
	byLang map[string][]byte
}

// For is the post as JSON in lang (English when lang is not one of the
// catalogue's).
func (e Event) For(lang string) []byte {
	if b, ok := e.byLang[lang]; ok {
		return b
	}
	return e.Data
}

// Hub fans feed changes out to stream subscribers. A change is loaded
// from the database once per group and instance, encoded once, and
// handed to every subscriber of the group; a subscriber too slow to keep
// up is dropped (its client reconnects and resumes from the database),
// never waited for.
type Hub struct {
	load func(ctx context.Context, groupID int, after int64, limit int) ([]Post, error)
	head func(ctx context.Context, groupID int) (int64, error)

	mu     sync.Mutex
	rooms  map[int]*room
	closed bool
}

type room struct {
	subs     map[*Sub]struct{}
	last     int64
	fetching bool
	again    bool
}

// Sub is one subscriber: a stream of one group's feed.
type Sub struct {
	// C delivers feed changes in feed order.
	C       chan Event
	done    chan struct{}
	recheck chan struct{}
	once    sync.Once
	group   int
}

// Done is closed when the hub drops the subscriber (too slow, or the hub
// is closing).
func (s *Sub) Done() <-chan struct{} { return s.done }

// Recheck receives when the group's membership changed, so a partner
// subscriber should check it may still read the group.
func (s *Sub) Recheck() <-chan struct{} { return s.recheck }

func (s *Sub) drop() { s.once.Do(func() { close(s.done) }) }

// ErrClosed is returned by Subscribe once the hub is shutting down.
var ErrClosed = errors.New("the live feed is shutting down")

// subBuffer is how many changes a subscriber may lag before it is
// dropped and must resume from the database.
const subBuffer = 256

func newHub(load func(context.Context, int, int64, int) ([]Post, error), head func(context.Context, int) (int64, error)) *Hub {
	return &Hub{load: load, head: head, rooms: map[int]*room{}}
}

// Subscribe registers a subscriber to a group's changes from now on. The
// caller replays what it missed from the database after subscribing and
// skips changes at or below what it has sent, which leaves no gap and no
// duplicate.
func (h *Hub) Subscribe(ctx context.Context, groupID int) (*Sub, error) {
	s := &Sub{C: make(chan Event, subBuffer), done: make(chan struct{}), recheck: make(chan struct{}, 1), group: groupID}
	join := func(last int64, fresh bool) bool {
		if r := h.rooms[groupID]; r != nil {
			r.subs[s] = struct{}{}
			return true
		}
		if !fresh {
			return false
		}
		h.rooms[groupID] = &room{subs: map[*Sub]struct{}{s: {}}, last: last}
		return true
	}
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil, ErrClosed
	}
	joined := join(0, false)
	h.mu.Unlock()
	if joined {
		return s, nil
	}
	// A new room starts at the group's head: anything committed before
	// is the subscriber's replay, anything after is a notice.
	last, err := h.head(ctx, groupID)
	if err != nil {
		return nil, err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, ErrClosed
	}
	join(last, true)
	return s, nil
}

// Unsubscribe removes s.
func (h *Hub) Unsubscribe(s *Sub) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if r := h.rooms[s.group]; r != nil {
		delete(r.subs, s)
		if len(r.subs) == 0 && !r.fetching {
			delete(h.rooms, s.group)
		}
	}
	s.drop()
}

// Subscribers counts the open subscriptions, for metrics.
func (h *Hub) Subscribers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, r := range h.rooms {
		n += len(r.subs)
	}
	return n
}

// Notify says a group's feed changed (after commit). Concurrent notices
// for one group fold into one more load.
func (h *Hub) Notify(groupID int) {
	h.mu.Lock()
	r := h.rooms[groupID]
	if r == nil || h.closed {
		h.mu.Unlock()
		return
	}
	if r.fetching {
		r.again = true
		h.mu.Unlock()
		return
	}
	r.fetching = true
	h.mu.Unlock()
	go h.fetch(groupID, r)
}

// NotifyAll reloads every group that has subscribers and makes their
// partner streams recheck access, for when changes may have been missed.
func (h *Hub) NotifyAll() {
	h.mu.Lock()
	ids := make([]int, 0, len(h.rooms))
	for id := range h.rooms {
		ids = append(ids, id)
	}
	h.mu.Unlock()
	for _, id := range ids {
		h.Notify(id)
		h.Recheck(id)
	}
}

// Recheck asks a group's subscribers to check their access again.
func (h *Hub) Recheck(groupID int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if r := h.rooms[groupID]; r != nil {
		for s := range r.subs {
			select {
			case s.recheck <- struct{}{}:
			default:
			}
		}
	}
}

func (h *Hub) fetch(groupID int, r *room) {
	ctx := viewer.NewContext(context.Background(), viewer.System("live-feed"))
	for {
		h.mu.Lock()
		after := r.last
		h.mu.Unlock()
		posts, err := h.load(ctx, groupID, after, 500)
		evs := make([]Event, 0, len(posts))
		for _, p := range posts {
			data, _ := json.Marshal(p)
			evs = append(evs, Event{Seq: p.Seq, Data: data, byLang: map[string][]byte{i18n.English: data}})
		}
		// The same posts in every other language, loaded as one batch
		// each; a post that changed in between (and so moved to a later
		// number) goes out in English this once and comes again.
		for _, lang := range i18n.Languages() {
			if lang == i18n.English || err != nil || len(posts) == 0 {
				continue
			}
			var local []Post
			local, err = h.load(i18n.WithLanguage(ctx, lang), groupID, after, len(posts))
			bySeq := make(map[int64]Post, len(local))
			for _, p := range local {
				bySeq[p.Seq] = p
			}
			for i := range evs {
				if p, ok := bySeq[evs[i].Seq]; ok {
					evs[i].byLang[lang], _ = json.Marshal(p)
				}
			}
		}
		h.mu.Lock()
		for _, ev := range evs {
			for s := range r.subs {
				select {
				case s.C <- ev:
				default:
					delete(r.subs, s)
					s.drop()
				}
			}
			r.last = ev.Seq
		}
		if err != nil {
			// Without the changes, the subscribers cannot go on without
			// a gap: drop them, and their clients resume from the
			// database.
			for s := range r.subs {
				delete(r.subs, s)
				s.drop()
			}
		}
		if err == nil && len(posts) == 500 {
			h.mu.Unlock()
			continue
		}
		if r.again && err == nil {
			r.again = false
			h.mu.Unlock()
			continue
		}
		r.fetching, r.again = false, false
		if len(r.subs) == 0 && h.rooms[groupID] == r {
			delete(h.rooms, groupID)
		}
		h.mu.Unlock()
		return
	}
}

// Close drops every subscriber, so that open streams end and a server
// can shut down; later subscriptions are refused.
func (h *Hub) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for id, r := range h.rooms {
		for s := range r.subs {
			s.drop()
		}
		delete(h.rooms, id)
	}
}
