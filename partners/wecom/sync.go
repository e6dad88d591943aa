package wecom

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/silenceper/wechat/v2/work/externalcontact"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/contact"
	"github.com/tierlink/tierlink/ent/contacttransfer"
	"github.com/tierlink/tierlink/ent/partner"
	"github.com/tierlink/tierlink/ent/user"
	"github.com/tierlink/tierlink/ent/wecomcontact"
	"github.com/tierlink/tierlink/ent/wecomcorpmapping"
	"github.com/tierlink/tierlink/ent/wecomfollow"
	"github.com/tierlink/tierlink/ent/wecomsync"
	"github.com/tierlink/tierlink/partners"
	"github.com/tierlink/tierlink/partners/directory"
	"github.com/tierlink/tierlink/partners/i18n"
)

// Service syncs WeCom's external contacts into the directory.
type Service struct {
	db  *ent.Client
	api *Client
	dir *directory.Service
	now func() time.Time
	log *slog.Logger
	// PageLimit is how many contacts batch/get_by_user returns a page
	// (WeCom allows at most 100).
	PageLimit int
	// StaleAfter is how long a running sync may go without progress
	// before another start takes it over and resumes it (its instance
	// died).
	StaleAfter time.Duration
	// stored is called after a callback event is stored (events.go).
	stored func()
	// env is the configuration the TIERLINK_WECOM_* variables gave
	// (settings.go).
	env Config
}

// NewService returns the sync over db, calling WeCom through api and
// creating and handing over contacts through dir.
func NewService(db *ent.Client, api *Client, dir *directory.Service, log *slog.Logger) *Service {
	if log == nil {
		log = slog.Default()
	}
	return &Service{db: db, api: api, dir: dir, now: time.Now, log: log, PageLimit: MaxBatchLimit, StaleAfter: 5 * time.Minute}
}

// SetClock replaces the service's clock, for tests.
func (s *Service) SetClock(now func() time.Time) { s.now = now }

// SyncResult is what one Sync did.
type SyncResult struct {
	RunID   int
	Resumed bool
	// Pages and Entries count batch/get_by_user pages and their
	// (contact, follower) entries, over the whole run.
	Pages, Entries int
	// Created and Changed count WeCom contacts new or changed; Removed
	// those WeCom no longer reports (marked, never deleted).
	Created, Changed, Removed int
	// Linked counts directory contacts created for matched contacts;
	// Reowned contacts handed to another owner; Unmatched active
	// contacts without a partner after the run.
	Linked, Reowned, Unmatched int
	// StaffLinked counts staff users newly linked to their WeCom userid.
	StaffLinked int
}

// Message is the run's summary for the job ledger, in the reader's
// language.
func (r SyncResult) Message() i18n.Lines {
	return i18n.Lines{i18n.M("job_report.wecom_sync").With("Created", r.Created).With("Changed", r.Changed).
		With("Removed", r.Removed).With("Linked", r.Linked).With("Reowned", r.Reowned).With("Unmatched", r.Unmatched).
		With("Staff", r.StaffLinked).With("Pages", r.Pages)}
}

// Report is the run's summary in English, for logs.
func (r SyncResult) Report() string {
	return fmt.Sprintf("%d page(s), %d entr(ies); %d contact(s) new, %d changed, %d removed; %d linked to the directory, %d handed to another owner, %d unmatched; %d staff linked",
		r.Pages, r.Entries, r.Created, r.Changed, r.Removed, r.Linked, r.Reowned, r.Unmatched, r.StaffLinked)
}

// Sync reads every external contact of every member with the customer-
// contact feature (get_follow_user_list, then batch/get_by_user over
// batches of at most 100 userids with cursor paging) and brings the
// WeCom mirror and the directory up to date. Each page is applied in one
// transaction together with the run's cursor, so a sync that dies resumes
// from its last page and nothing is applied twice; a second run over the
// same data changes nothing. The caller's viewer must be allowed to edit
// (jobs pass the system viewer).
func (s *Service) Sync(ctx context.Context) (SyncResult, error) {
	run, resumed, err := s.startRun(ctx)
	if err != nil {
		return SyncResult{}, err
	}
	res := SyncResult{RunID: run.ID, Resumed: resumed}
	if !resumed {
		if res.StaffLinked, err = s.linkStaff(ctx, run.FollowUsers); err != nil {
			return res, s.pause(ctx, run.ID, err)
		}
	}
	// Follows keep their tags by name; a tag the corp list does not name
	// (or a list WeCom will not give) keeps its id.
	tags, err := s.api.TagNames(ctx)
	if err != nil {
		if Code(err) == 0 {
			return res, s.pause(ctx, run.ID, err)
		}
		s.log.WarnContext(ctx, "wecom sync: corp tags not readable; keeping tag ids", "errcode", Code(err))
	}
	users := run.FollowUsers
	batch, cursor := run.Batch, run.Cursor
	for batch*MaxBatchUsers < len(users) {
		ids := users[batch*MaxBatchUsers : min(len(users), (batch+1)*MaxBatchUsers)]
		items, next, err := s.api.ContactsPage(ctx, ids, cursor, s.PageLimit)
		if err != nil {
			return res, s.pause(ctx, run.ID, err)
		}
		if next == "" {
			batch, cursor = batch+1, ""
		} else {
			cursor = next
		}
		if err := s.applyPage(ctx, run, items, batch, cursor, tags); err != nil {
			return res, s.pause(ctx, run.ID, err)
		}
	}
	if err := s.finish(ctx, run.ID, &res); err != nil {
		return res, s.pause(ctx, run.ID, err)
	}
	return res, nil
}

// startRun resumes the running sync a dead instance left, or starts one.
func (s *Service) startRun(ctx context.Context) (*ent.WecomSync, bool, error) {
	if !s.api.Config().Configured() {
		return nil, false, partners.Errorf(partners.EInvalid, "WeCom is not configured: set TIERLINK_WECOM_CORP_ID and TIERLINK_WECOM_CONTACT_SECRET")
	}
	now := s.now()
	cur, err := s.db.WecomSync.Query().Where(wecomsync.StateEQ(wecomsync.StateRunning)).
		Order(ent.Desc(wecomsync.FieldID)).First(ctx)
	if err != nil && !ent.IsNotFound(err) {
		return nil, false, err
	}
	if cur != nil {
		if cur.HeartbeatAt.After(now.Add(-s.StaleAfter)) {
			return nil, false, partners.Errorf(partners.EConflict, "a WeCom sync is already running (run %d)", cur.ID)
		}
		// Take it over only if no other instance did meanwhile.
		n, err := s.db.WecomSync.Update().Where(wecomsync.ID(cur.ID), wecomsync.HeartbeatAt(cur.HeartbeatAt)).
			SetHeartbeatAt(now).SetError("").Save(ctx)
		if err != nil {
			return nil, false, err
		}
		if n == 0 {
			return nil, false, partners.Errorf(partners.EConflict, "a WeCom sync is already running (run %d)", cur.ID)
		}
		s.log.InfoContext(ctx, "wecom sync resumed", "run", cur.ID, "batch", cur.Batch, "pages", cur.Pages)
		return cur, true, nil
	}
	users, err := s.api.FollowUsers(ctx)
	if err != nil {
		return nil, false, err
	}
	// An empty member list with contacts on file is far likelier a
	// revoked permission than a company that lost every contact: a run
	// over it would mark them all removed, so it does not start.
	if len(users) == 0 {
		if n, err := s.db.WecomContact.Query().Where(wecomcontact.RemovedAtIsNil()).Count(ctx); err != nil {
			return nil, false, err
		} else if n > 0 {
			return nil, false, partners.Errorf(partners.EConflict,
				"WeCom lists no member with the customer-contact feature, but %d contacts are on file; check the app's permissions", n)
		}
	}
	run, err := s.db.WecomSync.Create().SetFollowUsers(nonNil(users)).SetStartedAt(now).SetHeartbeatAt(now).Save(ctx)
	return run, false, err
}

// pause records why a run stopped and leaves it resumable at once: the
// next Sync continues from its cursor.
func (s *Service) pause(ctx context.Context, runID int, cause error) error {
	msg := []rune(cause.Error())
	if len(msg) > 2000 {
		msg = msg[:2000]
	}
	// A fresh context: the run's own may be what was cancelled.
	bg := context.WithoutCancel(ctx)
	if err := s.db.WecomSync.UpdateOneID(runID).SetError(string(msg)).SetHeartbeatAt(time.Unix(0, 0)).Exec(bg); err != nil {
		s.log.ErrorContext(ctx, "wecom sync: cannot record the pause", "run", runID, "err", err)
	}
	return cause
}

func kindOf(t int64) wecomcontact.Kind {
	if t == 2 {
		return wecomcontact.KindWecom
	}
	return wecomcontact.KindWechat
}

// applyPage upserts one page of entries and moves the run's cursor, in
// one transaction.
func (s *Service) applyPage(ctx context.Context, run *ent.WecomSync, items []BatchContact, batch int, cursor string,
	tagNames map[string]string) error {
	now, runID := s.now(), run.ID
	// A contact created earlier in this run (on another page) is new,
	// not changed, when more of its follows arrive.
	isNew := func(wc *ent.WecomContact) bool { return !wc.CreatedAt.Before(run.StartedAt) }
	// The page's entries, one per (contact, follower), grouped by
	// contact in the order WeCom gave them.
	var order []string
	byContact := map[string]*reported{}
	for _, it := range items {
		x := it.ExternalContact.ExternalUserID
		if x == "" {
			continue
		}
		contact, follow := it.sdk()
		r := byContact[x]
		if r == nil {
			r = &reported{Contact: contact, Tags: tagNames}
			byContact[x] = r
			order = append(order, x)
		}
		r.Follows = append(r.Follows, follow)
	}
	return partners.WithTx(ctx, s.db, func(tx *ent.Tx) error {
		c := tx.Client()
		rows, err := c.WecomContact.Query().Where(wecomcontact.ExternalUseridIn(order...)).All(ctx)
		if err != nil {
			return err
		}
		byExt := map[string]*ent.WecomContact{}
		var ids []int
		for _, r := range rows {
			byExt[r.ExternalUserid] = r
			ids = append(ids, r.ID)
		}
		fs, err := c.WecomFollow.Query().Where(wecomfollow.WecomContactIDIn(ids...)).All(ctx)
		if err != nil {
			return err
		}
		follows := map[int]map[string]*ent.WecomFollow{}
		for _, f := range fs {
			if follows[f.WecomContactID] == nil {
				follows[f.WecomContactID] = map[string]*ent.WecomFollow{}
			}
			follows[f.WecomContactID][f.Userid] = f
		}
		var created, changed int
		var cids, fids []int
		for _, x := range order {
			wc := byExt[x]
			var stored map[string]*ent.WecomFollow
			if wc != nil {
				stored = follows[wc.ID]
			}
			u, err := upsertContact(ctx, c, wc, stored, byContact[x], runID, now)
			if err != nil {
				return err
			}
			cids, fids = append(cids, u.Contact.ID), append(fids, u.Seen...)
			switch {
			case u.Created:
				created++
			case u.Changed && !isNew(u.Contact):
				changed++
			}
		}
		if err := markSeen(ctx, c, runID, cids, fids); err != nil {
			return err
		}
		return c.WecomSync.UpdateOneID(runID).SetBatch(batch).SetCursor(cursor).AddPages(1).AddContacts(len(items)).
			AddCreated(created).AddChanged(changed).SetHeartbeatAt(now).Exec(ctx)
	})
}

// reported is one external contact as WeCom reported it, with the
// follows of it that the call returned (batch/get_by_user gives one
// entry per follower; externalcontact/get all of them at once). Tags
// maps tag ids to names; an id it does not name is kept as the id.
type reported struct {
	Contact externalcontact.ExternalContact
	Follows []externalcontact.FollowInfo
	Tags    map[string]string
}

// upserted is what upsertContact wrote.
type upserted struct {
	Contact *ent.WecomContact
	// Created: the contact is new. Changed: the contact or one of its
	// follows was written (new follows included).
	Created, Changed bool
	// Seen are the stored follows the report named that existed before
	// (new ones are created seen).
	Seen []int
	// Follows are the reported follows as stored now, by userid.
	Follows map[string]*ent.WecomFollow
}

// upsertContact writes one reported contact and its reported follows,
// the one way both the sync and the callbacks do: fields clipped, tags
// by name, a contact or follow WeCom reports again brought back from
// removed, nothing written where nothing differs. wc is the stored
// contact (nil when new) and stored its stored follows by userid. New
// rows are marked seen by seenID; existing ones are left to markSeen.
func upsertContact(ctx context.Context, c *ent.Client, wc *ent.WecomContact, stored map[string]*ent.WecomFollow, r *reported,
	seenID int, now time.Time) (upserted, error) {
	ec := r.Contact
	kind := kindOf(ec.Type)
	out := upserted{Follows: map[string]*ent.WecomFollow{}}
	var err error
	switch {
	case wc == nil:
		wc, err = c.WecomContact.Create().SetExternalUserid(ec.ExternalUserID).SetKind(kind).SetName(clip(ec.Name, 200)).
			SetPosition(clip(ec.Position, 200)).SetCorpName(clip(ec.CorpName, 200)).SetCorpFullName(clip(ec.CorpFullName, 400)).
			SetSeenSyncID(seenID).SetCreatedAt(now).SetUpdatedAt(now).Save(ctx)
		if err != nil {
			return out, err
		}
		out.Created = true
	case wc.Kind == kind && wc.Name == clip(ec.Name, 200) && wc.Position == clip(ec.Position, 200) &&
		wc.CorpName == clip(ec.CorpName, 200) && wc.CorpFullName == clip(ec.CorpFullName, 400) && wc.RemovedAt == nil:
	default:
		wc, err = c.WecomContact.UpdateOne(wc).SetKind(kind).SetName(clip(ec.Name, 200)).SetPosition(clip(ec.Position, 200)).
			SetCorpName(clip(ec.CorpName, 200)).SetCorpFullName(clip(ec.CorpFullName, 400)).ClearRemovedAt().
			SetUpdatedAt(now).Save(ctx)
		if err != nil {
			return out, err
		}
		out.Changed = true
	}
	out.Contact = wc
	for _, fi := range r.Follows {
		if fi.UserID == "" {
			continue
		}
		added := time.Unix(fi.CreateTime, 0).UTC()
		tags := make([]string, 0, len(fi.TagID))
		for _, id := range fi.TagID {
			tags = append(tags, clip(cmp.Or(r.Tags[id], id), 100))
		}
		slices.Sort(tags)
		f := out.Follows[fi.UserID]
		if f == nil {
			f = stored[fi.UserID]
			if f != nil {
				out.Seen = append(out.Seen, f.ID)
			}
		}
		if f == nil {
			f, err = c.WecomFollow.Create().SetWecomContactID(wc.ID).SetUserid(fi.UserID).SetRemark(clip(fi.Remark, 200)).
				SetDescription(clip(fi.Description, 400)).SetRemarkCorpName(clip(fi.RemarkCorpName, 200)).SetTags(tags).
				SetAddWay(int(fi.AddWay)).SetOperUserid(clip(fi.OperUserID, 64)).SetAddedAt(added).SetSeenSyncID(seenID).
				SetCreatedAt(now).SetUpdatedAt(now).Save(ctx)
			if err != nil {
				return out, err
			}
			out.Follows[fi.UserID], out.Changed = f, true
			continue
		}
		out.Follows[fi.UserID] = f
		if f.Remark == clip(fi.Remark, 200) && f.Description == clip(fi.Description, 400) &&
			f.RemarkCorpName == clip(fi.RemarkCorpName, 200) && slices.Equal(f.Tags, tags) && f.AddWay == int(fi.AddWay) &&
			f.OperUserid == clip(fi.OperUserID, 64) && f.AddedAt.Equal(added) && f.RemovedAt == nil {
			continue
		}
		f, err = c.WecomFollow.UpdateOne(f).SetRemark(clip(fi.Remark, 200)).SetDescription(clip(fi.Description, 400)).
			SetRemarkCorpName(clip(fi.RemarkCorpName, 200)).SetTags(tags).SetAddWay(int(fi.AddWay)).
			SetOperUserid(clip(fi.OperUserID, 64)).SetAddedAt(added).ClearRemovedAt().SetUpdatedAt(now).Save(ctx)
		if err != nil {
			return out, err
		}
		out.Follows[fi.UserID], out.Changed = f, true
	}
	return out, nil
}

// markSeen records that sync run runID saw these contacts and follows;
// the mark is bookkeeping, not a change, so updated_at stays.
func markSeen(ctx context.Context, c *ent.Client, runID int, contactIDs, followIDs []int) error {
	if runID == 0 {
		return nil
	}
	if _, err := c.WecomContact.Update().Where(wecomcontact.IDIn(contactIDs...), wecomcontact.SeenSyncIDNEQ(runID)).
		SetSeenSyncID(runID).Save(ctx); err != nil {
		return err
	}
	_, err := c.WecomFollow.Update().Where(wecomfollow.IDIn(followIDs...), wecomfollow.SeenSyncIDNEQ(runID)).
		SetSeenSyncID(runID).Save(ctx)
	return err
}

// finish marks what the run did not see as removed, then matches
// partners, picks owners and links the directory, and closes the run.
func (s *Service) finish(ctx context.Context, runID int, res *SyncResult) error {
	now := s.now()
	var removed int
	err := partners.WithTx(ctx, s.db, func(tx *ent.Tx) error {
		c := tx.Client()
		if _, err := c.WecomFollow.Update().Where(wecomfollow.SeenSyncIDNEQ(runID), wecomfollow.RemovedAtIsNil()).
			SetRemovedAt(now).SetUpdatedAt(now).Save(ctx); err != nil {
			return err
		}
		var err error
		removed, err = c.WecomContact.Update().Where(wecomcontact.SeenSyncIDNEQ(runID), wecomcontact.RemovedAtIsNil()).
			SetRemovedAt(now).SetUpdatedAt(now).Save(ctx)
		return err
	})
	if err != nil {
		return err
	}
	if err := s.reconcile(ctx, runID, res, fmt.Sprintf("wecom-sync-%d-%s", runID, randHex())); err != nil {
		return err
	}
	run, err := s.db.WecomSync.UpdateOneID(runID).SetState(wecomsync.StateDone).SetFinishedAt(s.now()).SetHeartbeatAt(s.now()).
		SetError("").AddRemoved(removed).Save(ctx)
	if err != nil {
		return err
	}
	res.Pages, res.Entries, res.Created, res.Changed, res.Removed = run.Pages, run.Contacts, run.Created, run.Changed, run.Removed
	return nil
}

// staffIndex maps WeCom userids to active staff users.
type staffIndex map[string]int

func (s *Service) staff(ctx context.Context) (staffIndex, error) {
	us, err := s.db.User.Query().Where(user.WecomUseridNotNil(), user.Active(true),
		user.RoleIn(user.RoleAdmin, user.RoleBuyer, user.RoleViewer)).All(ctx)
	if err != nil {
		return nil, err
	}
	out := staffIndex{}
	for _, u := range us {
		out[*u.WecomUserid] = u.ID
	}
	return out, nil
}

// PickOwner is the owner rule: among the follows whose member is an
// active Tierlink staff user, the current owner if they still follow;
// otherwise whoever added the contact first (ties by userid). It returns
// 0 when no follower is an active staff user: an existing contact then
// keeps its owner and a new one waits for a linked follower. follows
// must be the contact's active follows.
func PickOwner(follows []*ent.WecomFollow, staff map[string]int, current int) int {
	best, bestF := 0, (*ent.WecomFollow)(nil)
	for _, f := range follows {
		uid, ok := staff[f.Userid]
		if !ok {
			continue
		}
		if uid == current {
			return current
		}
		if bestF == nil || f.AddedAt.Before(bestF.AddedAt) || (f.AddedAt.Equal(bestF.AddedAt) && f.Userid < bestF.Userid) {
			best, bestF = uid, f
		}
	}
	return best
}

// fold is the form corp and partner names are compared in.
func fold(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }

// partnerMatcher finds a contact's partner: a mapping first (a person's
// decision), then a partner named exactly like the corp; a name two
// partners share matches neither.
type partnerMatcher struct {
	mapping map[string]int
	byName  map[string]int // -1: ambiguous
}

func (s *Service) matcher(ctx context.Context) (partnerMatcher, error) {
	m := partnerMatcher{mapping: map[string]int{}, byName: map[string]int{}}
	maps, err := s.db.WecomCorpMapping.Query().All(ctx)
	if err != nil {
		return m, err
	}
	for _, x := range maps {
		m.mapping[x.CorpName] = x.PartnerID
	}
	ps, err := s.db.Partner.Query().Where(partner.StatusNEQ(partner.StatusOffboarded)).Select(partner.FieldID, partner.FieldName).All(ctx)
	if err != nil {
		return m, err
	}
	for _, p := range ps {
		k := fold(p.Name)
		if _, dup := m.byName[k]; dup {
			m.byName[k] = -1
		} else {
			m.byName[k] = p.ID
		}
	}
	return m, nil
}

// match tries, in order: the corp full name, the corp name, then the
// corp name followers noted (remark_corp_name), each first against the
// mapping table and then against partner names.
func (m partnerMatcher) match(wc *ent.WecomContact, follows []*ent.WecomFollow) (int, string) {
	type cand struct{ name, rule string }
	cands := []cand{{wc.CorpFullName, "corp_full_name"}, {wc.CorpName, "corp_name"}}
	for _, f := range follows {
		cands = append(cands, cand{f.RemarkCorpName, "remark_corp_name"})
	}
	for _, c := range cands {
		k := fold(c.name)
		if k == "" {
			continue
		}
		if id, ok := m.mapping[k]; ok {
			return id, "mapping"
		}
		if id := m.byName[k]; id > 0 {
			return id, c.rule
		}
	}
	return 0, ""
}

// reconcile brings every active WeCom contact's partner, owner and
// directory link in line with its follows, writing only what differs.
func (s *Service) reconcile(ctx context.Context, runID int, res *SyncResult, batch string) error {
	staff, err := s.staff(ctx)
	if err != nil {
		return err
	}
	m, err := s.matcher(ctx)
	if err != nil {
		return err
	}
	lastID := 0
	for {
		wcs, err := s.db.WecomContact.Query().Where(wecomcontact.RemovedAtIsNil(), wecomcontact.IDGT(lastID)).
			Order(ent.Asc(wecomcontact.FieldID)).Limit(200).WithFollows(func(q *ent.WecomFollowQuery) {
			q.Where(wecomfollow.RemovedAtIsNil())
		}).All(ctx)
		if err != nil {
			return err
		}
		if len(wcs) == 0 {
			break
		}
		lastID = wcs[len(wcs)-1].ID
		err = partners.WithTx(ctx, s.db, func(tx *ent.Tx) error {
			for _, wc := range wcs {
				if err := s.reconcileOne(ctx, tx.Client(), wc, staff, m, res, batch); err != nil {
					return fmt.Errorf("contact %s: %w", wc.ExternalUserid, err)
				}
			}
			// Still alive: no other instance takes the run over.
			return tx.WecomSync.UpdateOneID(runID).SetHeartbeatAt(s.now()).Exec(ctx)
		})
		if err != nil {
			return err
		}
	}
	n, err := s.db.WecomContact.Query().Where(wecomcontact.RemovedAtIsNil(), wecomcontact.PartnerIDIsNil()).Count(ctx)
	res.Unmatched = n
	return err
}

func (s *Service) reconcileOne(ctx context.Context, c *ent.Client, wc *ent.WecomContact, staff staffIndex, m partnerMatcher,
	res *SyncResult, batch string) error {
	follows := slices.Clone(wc.Edges.Follows)
	slices.SortFunc(follows, func(a, b *ent.WecomFollow) int {
		return cmp.Or(a.AddedAt.Compare(b.AddedAt), strings.Compare(a.Userid, b.Userid))
	})
	current := 0
	var ct *ent.Contact
	if wc.ContactID != nil {
		var err error
		if ct, err = c.Contact.Get(ctx, *wc.ContactID); err != nil {
			return err
		}
		current = ct.OwnerID
	}
	owner := PickOwner(follows, staff, current)
	// The contact's remark, tags and add time are its owner's follow's,
	// or the earliest follow's.
	var lead *ent.WecomFollow
	for _, f := range follows {
		if lead == nil {
			lead = f
		}
		if owner != 0 && staff[f.Userid] == owner {
			lead = f
			break
		}
	}
	q := c.WecomContact.UpdateOne(wc)
	dirty := false
	if lead != nil {
		if wc.Remark != lead.Remark || !slices.Equal(wc.Tags, lead.Tags) || wc.AddedAt == nil || !wc.AddedAt.Equal(lead.AddedAt) {
			q.SetRemark(lead.Remark).SetTags(nonNil(lead.Tags)).SetAddedAt(lead.AddedAt)
			dirty = true
		}
	}
	partnerID := 0
	if wc.PartnerID != nil {
		partnerID = *wc.PartnerID
	} else if id, rule := m.match(wc, follows); id != 0 {
		partnerID = id
		q.SetPartnerID(id).SetMatch(rule)
		dirty = true
	}
	switch {
	case ct == nil && partnerID != 0 && owner != 0:
		nc, err := directory.AddContact(ctx, c, directory.ContactInput{PartnerID: partnerID,
			Name:  clip(cmp.Or(strings.TrimSpace(wc.Name), strings.TrimSpace(wc.Remark), wc.ExternalUserid), 200),
			Title: wc.Position, OwnerID: owner})
		if err != nil {
			return err
		}
		q.SetContactID(nc.ID)
		dirty = true
		res.Linked++
	case ct != nil && owner != 0 && owner != ct.OwnerID:
		// The owner no longer follows the contact in WeCom: the ledger
		// hands it to the follower the rule picks.
		if _, err := s.dir.HandOver(ctx, c, directory.Handover{ContactIDs: []int{ct.ID}, ToOwnerID: owner,
			Reason: contacttransfer.ReasonReassignment, EffectiveAt: s.now(), Batch: batch}); err != nil {
			return err
		}
		res.Reowned++
	}
	if !dirty {
		return nil
	}
	return q.SetUpdatedAt(s.now()).Exec(ctx)
}

// linkStaff links staff users to the follow users not linked yet, by the
// e-mail WeCom reports for the member (user/get with the app's secret),
// then by the mobile. Only users with no link are linked, so a link set
// by hand is never overridden. Members WeCom does not describe, or whose
// e-mail and mobile it withholds, are left to be linked by hand.
func (s *Service) linkStaff(ctx context.Context, userIDs []string) (int, error) {
	if s.api.Config().AgentSecret == "" || len(userIDs) == 0 {
		return 0, nil
	}
	linked, err := s.db.User.Query().Where(user.WecomUseridIn(userIDs...)).All(ctx)
	if err != nil {
		return 0, err
	}
	known := map[string]bool{}
	for _, u := range linked {
		known[*u.WecomUserid] = true
	}
	n := 0
	var byMobile map[string]*ent.User
	done := map[int]bool{}
	for _, uid := range userIDs {
		if known[uid] {
			continue
		}
		mem, err := s.api.Member(ctx, uid)
		if err != nil {
			if Code(err) != 0 {
				s.log.WarnContext(ctx, "wecom sync: member not readable; link by hand", "userid", uid, "errcode", Code(err))
				continue
			}
			return n, err
		}
		var emails []string
		for _, e := range []string{mem.Email, mem.BizMail} {
			if e = strings.ToLower(strings.TrimSpace(e)); e != "" {
				emails = append(emails, e)
			}
		}
		how := "e-mail"
		var u *ent.User
		if len(emails) > 0 {
			u, err = s.db.User.Query().Where(user.EmailIn(emails...), user.WecomUseridIsNil(),
				user.RoleIn(user.RoleAdmin, user.RoleBuyer, user.RoleViewer)).First(ctx)
			if err != nil && !ent.IsNotFound(err) {
				return n, err
			}
		}
		// Then the mobile: WeCom gives it only to an app granted the
		// members' sensitive information, so it is often empty.
		if u == nil {
			if m := NormalizeMobile(mem.Mobile); m != "" {
				if byMobile == nil {
					if byMobile, err = s.staffByMobile(ctx); err != nil {
						return n, err
					}
				}
				u, how = byMobile[m], "mobile"
			}
		}
		if u == nil || done[u.ID] {
			continue
		}
		if err := s.setUserLink(ctx, u, uid, how); partners.ErrorCode(err) == partners.ENotFound || partners.ErrorCode(err) == partners.EConflict {
			// Linked by hand meanwhile (the user, or the userid to
			// someone else): the hand's link stands.
			continue
		} else if err != nil {
			return n, err
		}
		// Linked now: the same user is not matched to another member.
		done[u.ID] = true
		n++
	}
	return n, nil
}

// staffByMobile maps normalised mobiles to the staff users not linked to
// WeCom yet. A number two users share names neither: a guess would link
// the wrong person.
func (s *Service) staffByMobile(ctx context.Context) (map[string]*ent.User, error) {
	us, err := s.db.User.Query().Where(user.MobileNEQ(""), user.WecomUseridIsNil(),
		user.RoleIn(user.RoleAdmin, user.RoleBuyer, user.RoleViewer)).All(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]*ent.User{}
	shared := map[string]bool{}
	for _, u := range us {
		m := NormalizeMobile(u.Mobile)
		if m == "" {
			continue
		}
		if _, dup := out[m]; dup {
			shared[m] = true
		}
		out[m] = u
	}
	for m := range shared {
		delete(out, m)
	}
	return out, nil
}

// NormalizeMobile is the form mobiles are compared in: spaces, dashes,
// dots and brackets dropped, and mainland China's country code (+86,
// 0086 or 86 before an 11-digit number) removed, so "+86 138-0013-8000"
// and "13800138000" are the same number. Anything left that is not
// digits (after a leading + for another country) is no number: "".
func NormalizeMobile(s string) string {
	var b strings.Builder
	for i, r := range strings.TrimSpace(s) {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && i == 0:
			b.WriteRune(r)
		case r == ' ' || r == '-' || r == '.' || r == '(' || r == ')' || r == '\u00a0':
		default:
			return ""
		}
	}
	m := b.String()
	switch {
	case strings.HasPrefix(m, "+86"):
		m = m[3:]
	case strings.HasPrefix(m, "0086") && len(m) == 15:
		m = m[4:]
	case strings.HasPrefix(m, "86") && len(m) == 13:
		m = m[2:]
	}
	if len(strings.TrimPrefix(m, "+")) < 5 {
		return ""
	}
	return m
}

// LinkStaff links a staff user to a WeCom userid by hand; an empty
// userid unlinks. A userid already linked to someone else is a conflict.
func (s *Service) LinkStaff(ctx context.Context, userID int, wecomUserID string) error {
	wecomUserID = strings.TrimSpace(wecomUserID)
	if len(wecomUserID) > 64 {
		return partners.InvalidBecause("wecom_userid", partners.R("max_chars", "Max", 64))
	}
	// The user is named by the path: one that does not exist is not
	// found; one that is not an active staff user cannot be linked.
	if _, err := s.db.User.Get(ctx, userID); err != nil {
		return err
	}
	u, err := directory.ActiveStaff(ctx, s.db, userID, "user_id")
	if err != nil {
		return err
	}
	return s.setUserLink(ctx, u, wecomUserID, "manual")
}

func (s *Service) setUserLink(ctx context.Context, u *ent.User, wecomUserID, how string) error {
	return partners.WithTx(ctx, s.db, func(tx *ent.Tx) error {
		c := tx.Client()
		q := c.User.UpdateOne(u)
		if how != "manual" {
			// A match never overrides a link: one set by hand since the
			// user was read stays.
			q.Where(user.WecomUseridIsNil())
		}
		if wecomUserID == "" {
			q.ClearWecomUserid()
		} else {
			if taken, err := c.User.Query().Where(user.WecomUserid(wecomUserID), user.IDNEQ(u.ID)).Exist(ctx); err != nil {
				return err
			} else if taken {
				return &partners.Error{Code: partners.EConflict, Message: "this WeCom userid is linked to another user",
					Fields: []partners.FieldError{{Field: "wecom_userid", Reason: "is linked to another user"}}}
			}
			q.SetWecomUserid(wecomUserID)
		}
		if err := q.Exec(ctx); err != nil {
			return err
		}
		before := ""
		if u.WecomUserid != nil {
			before = *u.WecomUserid
		}
		return partners.Audit(ctx, c, partners.AuditRecord{Action: "user.wecom_link", EntityType: "user", EntityID: u.ID,
			Before: map[string]any{"wecom_userid": before}, After: map[string]any{"wecom_userid": wecomUserID, "matched_by": how}})
	})
}

// AssignUnmatched gives an unmatched WeCom contact its partner, as a
// buyer decides from the unmatched inbox, and links it to the directory
// at once if one of its followers is an active staff user.
func (s *Service) AssignUnmatched(ctx context.Context, externalUserID string, partnerID int) error {
	staff, err := s.staff(ctx)
	if err != nil {
		return err
	}
	var res SyncResult
	return partners.WithTx(ctx, s.db, func(tx *ent.Tx) error {
		c := tx.Client()
		wc, err := c.WecomContact.Query().Where(wecomcontact.ExternalUserid(externalUserID)).
			WithFollows(func(q *ent.WecomFollowQuery) { q.Where(wecomfollow.RemovedAtIsNil()) }).Only(ctx)
		if err != nil {
			return err
		}
		if wc.PartnerID != nil {
			return partners.Errorf(partners.EConflict, "this WeCom contact already belongs to a partner")
		}
		if _, err := c.Partner.Get(ctx, partnerID); err != nil {
			return partners.Ref("partner_id", "no such partner", err)
		}
		wc, err = c.WecomContact.UpdateOne(wc).SetPartnerID(partnerID).SetMatch("manual").SetUpdatedAt(s.now()).Save(ctx)
		if err != nil {
			return err
		}
		pid := partnerID
		if err := partners.Audit(ctx, c, partners.AuditRecord{Action: "wecom_contact.assign", EntityType: "wecom_contact",
			EntityID: wc.ID, PartnerID: &pid, After: map[string]any{"name": cmp.Or(wc.Name, externalUserID), "external_userid": externalUserID,
				"partner_id": partnerID}}); err != nil {
			return err
		}
		follows, err := c.WecomFollow.Query().Where(wecomfollow.WecomContactID(wc.ID), wecomfollow.RemovedAtIsNil()).All(ctx)
		if err != nil {
			return err
		}
		wc.Edges.Follows = follows
		return s.reconcileOne(ctx, c, wc, staff, partnerMatcher{}, &res, "wecom-assign-"+randHex())
	})
}

// Contact is a WeCom contact as the service shows it.
type Contact struct {
	ExternalUserID string     `json:"external_userid"`
	Kind           string     `json:"kind"`
	Name           string     `json:"name"`
	Position       string     `json:"position"`
	CorpName       string     `json:"corp_name"`
	CorpFullName   string     `json:"corp_full_name"`
	Remark         string     `json:"remark"`
	Tags           []string   `json:"tags"`
	AddedAt        *time.Time `json:"added_at,omitempty"`
	PartnerID      *int       `json:"partner_id,omitempty"`
	Match          string     `json:"match,omitempty"`
	ContactID      *int       `json:"contact_id,omitempty"`
	Followers      []string   `json:"followers"`
	RemovedAt      *time.Time `json:"removed_at,omitempty"`
}

// UnmatchedFilter pages the unmatched inbox.
type UnmatchedFilter struct {
	Cursor string `query:"cursor" validate:"max=600"`
	Limit  int    `query:"limit" validate:"omitempty,min=1,max=200"`
}

// ContactPage is one page of WeCom contacts.
type ContactPage struct {
	Items      []Contact `json:"items"`
	NextCursor string    `json:"next_cursor,omitempty"`
}

type idCursor struct {
	I int `json:"i"`
}

// Unmatched lists active WeCom contacts with no partner yet, oldest
// first, a page at a time: the inbox a buyer assigns from.
func (s *Service) Unmatched(ctx context.Context, f UnmatchedFilter) (ContactPage, error) {
	if err := partners.Validate(f); err != nil {
		return ContactPage{}, err
	}
	q := s.db.WecomContact.Query().Where(wecomcontact.PartnerIDIsNil(), wecomcontact.RemovedAtIsNil())
	if f.Cursor != "" {
		var cur idCursor
		if err := partners.DecodeCursor(f.Cursor, &cur); err != nil {
			return ContactPage{}, err
		}
		q.Where(wecomcontact.IDGT(cur.I))
	}
	limit := partners.Limit(f.Limit, 50)
	rows, err := q.Order(ent.Asc(wecomcontact.FieldID)).Limit(limit + 1).
		WithFollows(func(q *ent.WecomFollowQuery) { q.Where(wecomfollow.RemovedAtIsNil()) }).All(ctx)
	if err != nil {
		return ContactPage{}, err
	}
	var page ContactPage
	if len(rows) > limit {
		rows = rows[:limit]
		page.NextCursor = partners.EncodeCursor(idCursor{I: rows[len(rows)-1].ID})
	}
	page.Items = make([]Contact, 0, len(rows))
	for _, r := range rows {
		page.Items = append(page.Items, toContact(r))
	}
	return page, nil
}

// AssignInput names the partner an unmatched contact belongs to.
type AssignInput struct {
	PartnerID int `json:"partner_id" validate:"required,min=1"`
}

// Assign is AssignUnmatched in the shape of an API call: it answers the
// contact as stored after the assignment.
func (s *Service) Assign(ctx context.Context, externalUserID string, in AssignInput) (Contact, error) {
	if err := partners.Validate(in); err != nil {
		return Contact{}, err
	}
	if err := s.AssignUnmatched(ctx, externalUserID, in.PartnerID); err != nil {
		return Contact{}, err
	}
	wc, err := s.db.WecomContact.Query().Where(wecomcontact.ExternalUserid(externalUserID)).
		WithFollows(func(q *ent.WecomFollowQuery) { q.Where(wecomfollow.RemovedAtIsNil()) }).Only(ctx)
	if err != nil {
		return Contact{}, err
	}
	return toContact(wc), nil
}

// StaffLinkInput links a staff user to a WeCom userid; empty unlinks.
type StaffLinkInput struct {
	WecomUserID string `json:"wecom_userid" validate:"max=64"`
}

// StaffLink is a staff user's WeCom link.
type StaffLink struct {
	UserID      int    `json:"user_id"`
	WecomUserID string `json:"wecom_userid"`
}

// SetStaffLink is LinkStaff in the shape of an API call.
func (s *Service) SetStaffLink(ctx context.Context, userID int, in StaffLinkInput) (StaffLink, error) {
	if err := partners.Validate(in); err != nil {
		return StaffLink{}, err
	}
	if err := s.LinkStaff(ctx, userID, in.WecomUserID); err != nil {
		return StaffLink{}, err
	}
	return StaffLink{UserID: userID, WecomUserID: strings.TrimSpace(in.WecomUserID)}, nil
}

func toContact(r *ent.WecomContact) Contact {
	c := Contact{ExternalUserID: r.ExternalUserid, Kind: string(r.Kind), Name: r.Name, Position: r.Position,
		CorpName: r.CorpName, CorpFullName: r.CorpFullName, Remark: r.Remark, Tags: nonNil(r.Tags), AddedAt: r.AddedAt,
		PartnerID: r.PartnerID, Match: r.Match, ContactID: r.ContactID, RemovedAt: r.RemovedAt, Followers: []string{}}
	for _, f := range r.Edges.Follows {
		c.Followers = append(c.Followers, f.Userid)
	}
	return c
}

// OwnerOf returns the directory owner of the contact linked to a WeCom
// contact, or 0; later slices map a WeCom contact to its owner with it.
func (s *Service) OwnerOf(ctx context.Context, externalUserID string) (int, error) {
	wc, err := s.db.WecomContact.Query().Where(wecomcontact.ExternalUserid(externalUserID)).Only(ctx)
	if err != nil || wc.ContactID == nil {
		return 0, err
	}
	ct, err := s.db.Contact.Query().Where(contact.ID(*wc.ContactID)).Only(ctx)
	if err != nil {
		return 0, err
	}
	return ct.OwnerID, nil
}

// MapCorpInput maps a corp name, as WeCom gives it, to a partner.
type MapCorpInput struct {
	CorpName  string `json:"corp_name" validate:"required,max=200"`
	PartnerID int    `json:"partner_id" validate:"required,min=1"`
}

// CorpMapping is a stored corp-name mapping and how many unmatched
// contacts it matched at once.
type CorpMapping struct {
	CorpName  string `json:"corp_name"`
	PartnerID int    `json:"partner_id"`
	Matched   int    `json:"matched"`
}

// SaveCorpMapping is MapCorp in the shape of an API call: the mapping is
// stored (or moved to another partner), and the unmatched contacts of
// that corp are matched at once, as the next sync would.
func (s *Service) SaveCorpMapping(ctx context.Context, in MapCorpInput) (CorpMapping, error) {
	if err := partners.Validate(in); err != nil {
		return CorpMapping{}, err
	}
	staff, err := s.staff(ctx)
	if err != nil {
		return CorpMapping{}, err
	}
	k := fold(in.CorpName)
	var res SyncResult
	err = s.mapCorp(ctx, in.CorpName, in.PartnerID, func(c *ent.Client) error {
		wcs, err := c.WecomContact.Query().Where(wecomcontact.PartnerIDIsNil(), wecomcontact.RemovedAtIsNil()).
			WithFollows(func(q *ent.WecomFollowQuery) { q.Where(wecomfollow.RemovedAtIsNil()) }).All(ctx)
		if err != nil {
			return err
		}
		m := partnerMatcher{mapping: map[string]int{k: in.PartnerID}, byName: map[string]int{}}
		batch := "wecom-map-" + randHex()
		for _, wc := range wcs {
			if id, _ := m.match(wc, wc.Edges.Follows); id == 0 {
				continue
			}
			if err := s.reconcileOne(ctx, c, wc, staff, m, &res, batch); err != nil {
				return err
			}
			res.Unmatched++ // counts the contacts matched here
		}
		return nil
	})
	if err != nil {
		return CorpMapping{}, err
	}
	return CorpMapping{CorpName: k, PartnerID: in.PartnerID, Matched: res.Unmatched}, nil
}

// MapCorp records that contacts of corp (as WeCom names it) belong to a
// partner; the next sync matches them.
func (s *Service) MapCorp(ctx context.Context, corp string, partnerID int) error {
	return s.mapCorp(ctx, corp, partnerID, nil)
}

// mapCorp stores the mapping and runs then (when not nil) in the same
// transaction.
func (s *Service) mapCorp(ctx context.Context, corp string, partnerID int, then func(c *ent.Client) error) error {
	k := fold(corp)
	if k == "" {
		return partners.Invalid("corp_name", "must not be empty")
	}
	return partners.WithTx(ctx, s.db, func(tx *ent.Tx) error {
		c := tx.Client()
		if _, err := c.Partner.Get(ctx, partnerID); err != nil {
			return partners.Ref("partner_id", "no such partner", err)
		}
		id, err := c.WecomCorpMapping.Create().SetCorpName(k).SetPartnerID(partnerID).
			OnConflictColumns(wecomcorpmapping.FieldCorpName).UpdatePartnerID().ID(ctx)
		if err != nil {
			return err
		}
		pid := partnerID
		if err := partners.Audit(ctx, c, partners.AuditRecord{Action: "wecom_corp.map", EntityType: "wecom_corp_mapping", EntityID: id,
			PartnerID: &pid, After: map[string]any{"name": k, "corp_name": k, "partner_id": partnerID}}); err != nil {
			return err
		}
		if then == nil {
			return nil
		}
		return then(c)
	})
}

func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func randHex() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
