package groups

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/document"
	"github.com/tierlink/tierlink/ent/group"
	"github.com/tierlink/tierlink/ent/groupmember"
	"github.com/tierlink/tierlink/ent/post"
	"github.com/tierlink/tierlink/ent/schematype"
	"github.com/tierlink/tierlink/ent/user"
	"github.com/tierlink/tierlink/ent/viewer"
	"github.com/tierlink/tierlink/partners"
	"github.com/tierlink/tierlink/partners/bridges"
	"github.com/tierlink/tierlink/partners/i18n"
)

// announceHook tells listeners about a feed change once the transaction
// that made it commits (at once, outside a transaction), so a stream
// never announces a post that a rollback then takes back.
func (s *Service) announceHook(next ent.Mutator) ent.Mutator {
	return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
		v, err := next.Mutate(ctx, m)
		gm, ok := m.(*ent.GroupMutation)
		if err != nil || !ok {
			return v, err
		}
		if _, bumped := gm.AddedLastSeq(); !bumped {
			return v, err
		}
		id, ok := gm.ID()
		if !ok {
			return v, err
		}
		if tx, terr := gm.Tx(); terr == nil {
			tx.OnCommit(func(next ent.Committer) ent.Committer {
				return ent.CommitFunc(func(ctx context.Context, tx *ent.Tx) error {
					if err := next.Commit(ctx, tx); err != nil {
						return err
					}
					s.Changed(id)
					return nil
				})
			})
		} else {
			s.Changed(id)
		}
		return v, err
	})
}

// newPost is a post to append.
type newPost struct {
	kind                   post.Kind
	authorID               *int
	author                 string
	authorContact, authorP *int
	body                   string     // a member's message, as written
	message                i18n.Lines // a system post's text, by key
	mentions               []Mention
	docs                   []int
	event                  *ent.DomainEvent
	subjectType            string
	subjectID              int
	cardKind               string
	awaitsReply            bool
	eventKind              string
	partnerID              *int
}

// appendPost adds a post to a group's feed through c (the caller's
// transaction): it takes the group's next feed number under the group's
// row lock and writes the outbox entries of the group's bridges.
func (s *Service) appendPost(ctx context.Context, c *ent.Client, g *ent.Group, p newPost) (*ent.Post, error) {
	sys := system(ctx)
	g, err := c.Group.UpdateOneID(g.ID).AddLastSeq(1).Save(sys)
	if err != nil {
		return nil, err
	}
	q := c.Post.Create().SetGroupID(g.ID).SetSeq(g.LastSeq).SetKind(p.kind).SetNillableAuthorID(p.authorID).SetAuthor(p.author).
		SetNillableAuthorContactID(p.authorContact).SetNillableAuthorPartnerID(p.authorP).SetBody(p.body).
		SetAwaitsReply(p.awaitsReply).SetCreatedAt(s.now()).SetUpdatedAt(s.now())
	if len(p.mentions) > 0 {
		ms := make([]schematype.Mention, 0, len(p.mentions))
		for _, m := range p.mentions {
			ms = append(ms, schematype.Mention(m))
		}
		q.SetMentions(ms)
	}
	if len(p.docs) > 0 {
		q.SetDocumentIds(p.docs)
	}
	if len(p.message) > 0 {
		raw, err := json.Marshal(p.message)
		if err != nil {
			return nil, err
		}
		q.SetMessage(raw)
	}
	if p.event != nil {
		q.SetEventID(p.event.ID).SetEventKind(p.event.Kind).SetPartnerID(p.event.PartnerID)
	} else if p.eventKind != "" {
		q.SetEventKind(p.eventKind).SetNillablePartnerID(p.partnerID)
	}
	if p.subjectType != "" {
		q.SetSubjectType(p.subjectType).SetSubjectID(p.subjectID)
	}
	if p.cardKind != "" {
		q.SetCardKind(p.cardKind).SetCardState(post.CardStateOpen)
	}
	// A post by a partner user is checked by the privacy rules as that
	// user; everything else is written as the system.
	wctx := sys
	if v, _ := viewer.FromContext(ctx); v.IsPartner() && p.kind == post.KindMessage {
		wctx = ctx
	}
	row, err := q.Save(wctx)
	if err != nil {
		return nil, err
	}
	// The group's language decides what its bridges send.
	l := i18n.For(g.Language)
	text := p.body
	if len(p.message) > 0 {
		text = l.RenderLines(p.message)
	}
	if p.kind == post.KindMessage {
		text = p.author + ": " + text
		if n := len(p.docs); n > 0 {
			text = l.N("feed.documents", n, map[string]any{"Text": text})
		}
	}
	_, err = bridges.Enqueue(sys, c, bridges.Outgoing{GroupID: g.ID, PostID: row.ID, Status: p.kind != post.KindMessage,
		Title: g.Name, Text: text, Link: s.link(fmt.Sprintf("/groups/%d#post-%d", g.ID, row.ID))})
	return row, err
}

func (s *Service) link(path string) string {
	u := *s.base
	u.Path, u.Fragment = "", ""
	p, frag, _ := strings.Cut(path, "#")
	u.Path = strings.TrimSuffix(s.base.Path, "/") + p
	u.Fragment = frag
	return u.String()
}

// Post writes a member's message. Staff editors may write in any group;
// a partner user only in groups its contact belongs to. Mentions of
// members (@name) are recorded; a staff message in a group with external
// members awaits their reply, and a partner's message answers every
// staff message still waiting.
func (s *Service) Post(ctx context.Context, groupID int, in PostInput) (Post, error) {
	if err := partners.Validate(in); err != nil {
		return Post{}, err
	}
	in.Body = strings.TrimSpace(in.Body)
	if in.Body == "" && len(in.DocumentIDs) == 0 {
		return Post{}, partners.Invalid("body", "is required unless documents are shared")
	}
	if !utf8.ValidString(in.Body) {
		return Post{}, partners.Invalid("body", "must be UTF-8 text")
	}
	v, _ := viewer.FromContext(ctx)
	if !v.IsPartner() && !v.CanEdit() {
		return Post{}, partners.Errorf(partners.EForbidden, "your role may read groups but not write in them")
	}
	var id int
	err := partners.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		c := tx.Client()
		g, err := c.Group.Get(ctx, groupID)
		if err != nil {
			return err
		}
		if g.Archived {
			return partners.Fail(partners.EConflict, i18n.M("problem.group_archived"))
		}
		sys := system(ctx)
		if err := s.checkDocuments(ctx, c, g, in.DocumentIDs); err != nil {
			return err
		}
		members, err := s.memberNames(sys, c, g.ID)
		if err != nil {
			return err
		}
		p := newPost{kind: post.KindMessage, author: v.Label, body: in.Body, docs: in.DocumentIDs, mentions: ParseMentions(in.Body, members)}
		if v.UserID != 0 {
			uid := v.UserID
			p.authorID = &uid
			if u, err := c.User.Query().Where(user.ID(uid)).Only(sys); err == nil && u.Name != "" {
				p.author = u.Name
			}
		}
		if v.IsPartner() {
			cid, pid := v.ContactID, v.PartnerID
			p.authorContact, p.authorP = &cid, &pid
		} else {
			ext, err := c.GroupMember.Query().Where(groupmember.GroupID(g.ID), groupmember.ContactIDNotNil()).Exist(sys)
			if err != nil {
				return err
			}
			p.awaitsReply = ext
		}
		row, err := s.appendPost(ctx, c, g, p)
		if err != nil {
			return err
		}
		id = row.ID
		if v.IsPartner() {
			// The first partner reply after staff posts: reply tracking
			// for the scorecards.
			return c.Post.Update().Where(post.GroupID(g.ID), post.AwaitsReply(true), post.RepliedAtIsNil(), post.IDLT(row.ID)).
				SetRepliedAt(row.CreatedAt).SetRepliedByContactID(v.ContactID).SetRepliedPartnerID(v.PartnerID).Exec(sys)
		}
		return nil
	})
	if err != nil {
		return Post{}, err
	}
	row, err := s.client.Post.Get(system(ctx), id)
	if err != nil {
		return Post{}, err
	}
	return s.toPost(system(ctx), row)
}

// checkDocuments lets a member share only documents it can see that
// belong to the group's partner, and none in a group that joins several
// partners, where they would be shown to the others.
func (s *Service) checkDocuments(ctx context.Context, c *ent.Client, g *ent.Group, ids []int) error {
	if len(ids) == 0 {
		return nil
	}
	if g.PartnerID == nil {
		return partners.Invalid("document_ids", "documents are shared in partner groups only")
	}
	if ok, err := receivesStatus(system(ctx), c, g); err != nil {
		return err
	} else if !ok {
		return partners.Invalid("document_ids", "this group has contacts of other partners; share documents in the partner's own group")
	}
	for i, id := range ids {
		d, err := c.Document.Query().Where(document.ID(id)).Only(ctx)
		if err != nil {
			return partners.RefBecause(fmt.Sprintf("document_ids[%d]", i), partners.R("document_not_found", "ID", id), err)
		}
		if d.PartnerID != *g.PartnerID {
			return partners.Invalid(fmt.Sprintf("document_ids[%d]", i), "belongs to another partner than the group's")
		}
	}
	return nil
}

// memberNames lists the members by name, for mentions.
func (s *Service) memberNames(ctx context.Context, c *ent.Client, groupID int) ([]Mention, error) {
	ms, err := s.Members(ctx, groupID)
	if err != nil {
		return nil, err
	}
	out := make([]Mention, 0, len(ms.Items))
	for _, m := range ms.Items {
		if m.UserID != nil {
			out = append(out, Mention{Type: "user", ID: *m.UserID, Name: m.Name})
		} else if m.ContactID != nil {
			out = append(out, Mention{Type: "contact", ID: *m.ContactID, Name: m.Name})
		}
	}
	return out, nil
}

// Posts pages a group's feed: newest written first from a cursor, or,
// with after, oldest first from a feed number (what a stream replays).
// Pages order by id, the order posts were written, not by seq: a card
// that changes takes a new seq (see Post.Seq), and ordering by it put an
// answered card above the post that answered it.
func (s *Service) Posts(ctx context.Context, groupID int, f PostFilter) (PostPage, error) {
	if err := partners.Validate(f); err != nil {
		return PostPage{}, err
	}
	if _, err := s.client.Group.Get(ctx, groupID); err != nil {
		return PostPage{}, err
	}
	limit := partners.Limit(f.Limit, 50)
	if f.After > 0 {
		items, err := s.loadAfter(ctx, groupID, f.After, limit)
		return PostPage{Items: items}, err
	}
	q := s.client.Post.Query().Where(post.GroupID(groupID))
	var cur struct{ I int }
	if f.Cursor != "" {
		if err := partners.DecodeCursor(f.Cursor, &cur); err != nil {
			return PostPage{}, err
		}
		q.Where(post.IDLT(cur.I))
	}
	rows, err := q.Order(ent.Desc(post.FieldID)).Limit(limit + 1).All(ctx)
	if err != nil {
		return PostPage{}, err
	}
	var p PostPage
	if len(rows) > limit {
		rows = rows[:limit]
		p.NextCursor = partners.EncodeCursor(struct{ I int }{rows[limit-1].ID})
	}
	if p.Items, err = s.toPosts(system(ctx), rows); err != nil {
		return PostPage{}, err
	}
	return p, nil
}

// loadAfter reads posts after a feed number, oldest first, as the
// system: the caller checked the subscriber may read the group.
func (s *Service) loadAfter(ctx context.Context, groupID int, after int64, limit int) ([]Post, error) {
	sys := system(ctx)
	rows, err := s.client.Post.Query().Where(post.GroupID(groupID), post.SeqGT(after)).Order(ent.Asc(post.FieldSeq)).Limit(limit).All(sys)
	if err != nil {
		return nil, err
	}
	return s.toPosts(sys, rows)
}

// head is a group's latest feed number.
func (s *Service) head(ctx context.Context, groupID int) (int64, error) {
	g, err := s.client.Group.Query().Where(group.ID(groupID)).Only(system(ctx))
	if err != nil {
		return 0, err
	}
	return g.LastSeq, nil
}

func (s *Service) toPosts(ctx context.Context, rows []*ent.Post) ([]Post, error) {
	out := make([]Post, 0, len(rows))
	pp := newPeople(ctx, s.client)
	for _, r := range rows {
		p, err := s.toPostWith(ctx, r, pp)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

func (s *Service) toPost(ctx context.Context, r *ent.Post) (Post, error) {
	return s.toPostWith(ctx, r, newPeople(ctx, s.client))
}

// toPostWith shows a post, naming people through pp.
func (s *Service) toPostWith(ctx context.Context, r *ent.Post, pp *people) (Post, error) {
	body, err := postText(ctx, s.client, pp, r)
	if err != nil {
		return Post{}, err
	}
	p := Post{ID: r.ID, GroupID: r.GroupID, Seq: r.Seq, Kind: r.Kind, Author: pp.author(r.AuthorID, r.Author), Body: body,
		EventKind: r.EventKind, RepliedAt: r.RepliedAt, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, AuthorSide: "staff",
		Link: subjectLink(r)}
	switch {
	case r.Kind != post.KindMessage:
		p.AuthorSide, p.Author = "system", "Tierlink"
	case r.AuthorPartnerID != nil:
		p.AuthorSide = "partner"
	}
	for _, m := range r.Mentions {
		p.Mentions = append(p.Mentions, Mention(m))
	}
	if len(r.DocumentIds) > 0 {
		docs, err := s.client.Document.Query().Where(document.IDIn(r.DocumentIds...)).All(ctx)
		if err != nil {
			return Post{}, err
		}
		for _, d := range docs {
			p.Documents = append(p.Documents, DocRef{ID: d.ID, Title: d.Title, Kind: d.Kind})
		}
	}
	if r.CardKind != "" {
		p.Card = &Card{Kind: r.CardKind, Outcome: r.CardOutcome, ActedBy: pp.label(r.ActedBy), ActedAt: r.ActedAt, SubjectType: r.SubjectType,
			Actions: []CardAction{}}
		if r.CardState != nil {
			p.Card.State = *r.CardState
		}
		if r.SubjectID != nil {
			p.Card.SubjectID = *r.SubjectID
		}
		p.Card.Link = s.cardLink(ctx, r)
		if r.CardKind == CardChangeRequest && r.SubjectID != nil {
			if p.Card.Changes, err = s.cardChanges(ctx, *r.SubjectID); err != nil {
				return Post{}, err
			}
		}
		if r.CardState != nil && *r.CardState == post.CardStateOpen {
			p.Card.Actions = cardActions(r.CardKind)
		}
	}
	return p, nil
}

// postText is a post's text in the reader's language (from ctx), people
// named by pp. A post written before texts were stored by key is read
// back from its event where it has one, in the reader's language with
// the actor's name; otherwise it shows the text it stored, Tierlink's
// own texts with addresses replaced by names (a member's message is
// shown as written).
func postText(ctx context.Context, c *ent.Client, pp *people, r *ent.Post) (string, error) {
	l := i18n.FromContext(ctx)
	ls, err := i18n.DecodeLines(r.Message)
	if err != nil {
		return "", fmt.Errorf("post %d: %w", r.ID, err)
	}
	if len(ls) > 0 {
		return l.RenderLines(pp.lines(ls)), nil
	}
	if r.Kind == post.KindMessage {
		return r.Body, nil
	}
	if r.EventID != nil {
		if m, ok := eventText(ctx, c, pp, *r.EventID); ok {
			return l.Render(m), nil
		}
	}
	if l.Lang() == i18n.Chinese && r.BodyZh != "" {
		return pp.text(r.BodyZh), nil
	}
	return pp.text(r.Body), nil
}

// closeCards marks the open cards about a subject as done, in every
// group, with who acted and when; each change takes a new feed number
// so every stream shows the card change in place.
func (s *Service) closeCards(ctx context.Context, c *ent.Client, subjectType string, subjectID int, outcome, by string, at time.Time) error {
	sys := system(ctx)
	cards, err := c.Post.Query().Where(post.SubjectType(subjectType), post.SubjectID(subjectID), post.CardStateEQ(post.CardStateOpen)).All(sys)
	if err != nil {
		return err
	}
	for _, card := range cards {
		g, err := c.Group.UpdateOneID(card.GroupID).AddLastSeq(1).Save(sys)
		if err != nil {
			return err
		}
		if err := c.Post.UpdateOne(card).SetSeq(g.LastSeq).SetCardState(post.CardStateDone).SetCardOutcome(outcome).
			SetActedBy(by).SetActedAt(at).Exec(sys); err != nil {
			return err
		}
	}
	return nil
}

// Since reads the posts after a feed number, oldest first, for a viewer
// who may read the group: what a resuming stream replays.
func (s *Service) Since(ctx context.Context, groupID int, after int64, limit int) ([]Post, error) {
	if _, err := s.client.Group.Get(ctx, groupID); err != nil {
		return nil, err
	}
	return s.loadAfter(ctx, groupID, after, limit)
}
