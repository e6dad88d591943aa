package partners

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/domainevent"
	"github.com/tierlink/tierlink/ent/viewer"
)

// Emit records a domain event about subjectID (an order or a shipment,
// as the payload's kind says) through c, which must be the client of the
// transaction making the change, so the event exists exactly when the
// change does. The payload is encoded here and only here.
func Emit(ctx context.Context, c *ent.Client, partnerID, subjectID int, p Payload) error {
	spec, ok := catalogue[p.Kind()]
	if !ok {
		return fmt.Errorf("emit: event kind %q is not in the catalogue", p.Kind())
	}
	raw, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("emit %s: %w", p.Kind(), err)
	}
	v, _ := viewer.FromContext(ctx)
	return c.DomainEvent.Create().SetPartnerID(partnerID).SetKind(string(p.Kind())).SetSubjectType(spec.subject).
		SetSubjectID(subjectID).SetActor(v.Label).SetPayload(raw).Exec(ctx)
}

// EventOut is an event as served by the event stream.
type EventOut struct {
	ID          int         `json:"id"`
	PartnerID   int         `json:"partner_id"`
	Kind        string      `json:"kind"`
	SubjectType string      `json:"subject_type"`
	SubjectID   int         `json:"subject_id"`
	Payload     PayloadJSON `json:"payload,omitempty"`
	Actor       string      `json:"actor"`
	At          time.Time   `json:"at"`
}

// EventFilter pages the event stream forward from a cursor.
type EventFilter struct {
	PartnerID int    `query:"partner_id" validate:"omitempty,min=1"`
	Kind      string `query:"kind" validate:"max=64"`
	Cursor    string `query:"cursor" validate:"max=200"`
	Limit     int    `query:"limit" validate:"omitempty,min=1,max=1000"`
}

// EventPage is events in order; NextCursor resumes after the last one
// (it is returned even when the page is short, so a poller keeps it).
type EventPage struct {
	Items      []EventOut `json:"items"`
	NextCursor string     `json:"next_cursor"`
}

// ListEvents reads the event stream oldest first after the cursor;
// privacy limits partner users to their own partner's events.
func ListEvents(ctx context.Context, c *ent.Client, f EventFilter) (EventPage, error) {
	if err := Validate(f); err != nil {
		return EventPage{}, err
	}
	var cur struct{ I int }
	if f.Cursor != "" {
		if err := DecodeCursor(f.Cursor, &cur); err != nil {
			return EventPage{}, err
		}
	}
	q := c.DomainEvent.Query().Where(domainevent.IDGT(cur.I))
	if f.PartnerID != 0 {
		q.Where(domainevent.PartnerID(f.PartnerID))
	}
	if f.Kind != "" {
		q.Where(domainevent.Kind(f.Kind))
	}
	limit := f.Limit
	if limit == 0 {
		limit = 100
	}
	rows, err := q.Order(ent.Asc(domainevent.FieldID)).Limit(limit).All(ctx)
	if err != nil {
		return EventPage{}, err
	}
	p := EventPage{Items: make([]EventOut, 0, len(rows))}
	for _, r := range rows {
		p.Items = append(p.Items, EventOut{ID: r.ID, PartnerID: r.PartnerID, Kind: r.Kind, SubjectType: r.SubjectType,
			SubjectID: r.SubjectID, Payload: PayloadJSON(r.Payload), Actor: r.Actor, At: r.CreatedAt})
		cur.I = r.ID
	}
	p.NextCursor = EncodeCursor(cur)
	return p, nil
}
