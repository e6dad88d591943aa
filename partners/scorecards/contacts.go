package scorecards

import (
	"context"
	"database/sql"
	"time"

	"github.com/tierlink/tierlink/ent/contact"
	"github.com/tierlink/tierlink/partners"
)

// ContactFigures is what one of a partner's contacts did in the period:
// the orders they answered and how long after publishing, and the staff
// messages they were the first to reply to and how fast.
type ContactFigures struct {
	ContactID       int      `json:"contact_id"`
	Name            string   `json:"name"`
	Answers         int      `json:"answers"`
	AnswerHours     *float64 `json:"answer_hours"`
	Replies         int      `json:"replies"`
	FirstReplyHours *float64 `json:"first_reply_hours"`
}

// contacts returns the figures of partnerID's contacts over p; a contact
// who did nothing has zeros and no data, not a row of 100%.
func (s *Service) contacts(ctx context.Context, partnerID int, p Period, asOf time.Time) ([]ContactFigures, error) {
	cs, err := s.client.Contact.Query().Where(contact.PartnerID(partnerID)).Order(contact.BySortKey()).All(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]ContactFigures, len(cs))
	at := map[int]int{}
	for i, c := range cs {
		out[i] = ContactFigures{ContactID: c.ID, Name: c.Name}
		at[c.ID] = i
	}
	start, end, now := p.Start.UTC(), p.End.UTC(), asOf.UTC()
	sys := partners.AsSystem(ctx, "scorecards")
	err = s.query(sys, `
SELECT u.contact_id, COUNT(*), AVG({secs a.created_at o.published_at})
FROM acknowledgements a
JOIN users u ON u.id = a.user_id
JOIN orders o ON o.id = a.order_id
WHERE a.partner_id = ? AND u.contact_id IS NOT NULL AND o.published_at IS NOT NULL
  AND `+s.atOrAfter("a.created_at")+` AND `+s.before("a.created_at")+` AND `+s.before("a.created_at")+`
GROUP BY u.contact_id`, []any{partnerID, start, end, now}, func(rows *sql.Rows) error {
		var cid, n int
		var h sql.NullFloat64
		if err := rows.Scan(&cid, &n, &h); err != nil {
			return err
		}
		if i, ok := at[cid]; ok {
			out[i].Answers, out[i].AnswerHours = n, ptr(h, 1.0/3600)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = s.query(sys, `
SELECT p.replied_by_contact_id, COUNT(*), AVG({secs p.replied_at p.created_at})
FROM posts p JOIN "groups" g ON g.id = p.group_id
WHERE g.partner_id = ? AND p.replied_by_contact_id IS NOT NULL AND p.replied_at IS NOT NULL
  AND `+s.atOrAfter("p.created_at")+` AND `+s.before("p.created_at")+` AND `+s.before("p.replied_at")+`
GROUP BY p.replied_by_contact_id`, []any{partnerID, start, end, now}, func(rows *sql.Rows) error {
		var cid, n int
		var h sql.NullFloat64
		if err := rows.Scan(&cid, &n, &h); err != nil {
			return err
		}
		if i, ok := at[cid]; ok {
			out[i].Replies, out[i].FirstReplyHours = n, ptr(h, 1.0/3600)
		}
		return nil
	})
	return out, err
}
