package orders

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/order"
	"github.com/tierlink/tierlink/ent/partner"
	"github.com/tierlink/tierlink/ent/viewer"
	"github.com/tierlink/tierlink/partners"
	"github.com/tierlink/tierlink/partners/directory"
)

// CSVColumns are the columns of an order import: one row per order line,
// rows of one order sharing partner_code and order_number.
var CSVColumns = []string{"partner_code", "order_number", "direction", "currency", "item_code", "description", "quantity", "unit", "unit_price", "required_date", "notes"}

// ImportResult says what an import stored.
type ImportResult struct {
	Orders int `json:"orders"`
	Lines  int `json:"lines"`
}

type csvOrder struct {
	in    OrderInput
	first int // line of the file where the order starts
	dates []time.Time
}

// ImportCSV creates draft orders from an ERP export, all or none: every
// bad row is reported with its line and column, and nothing is stored
// unless the whole file is good. With publish, the orders go to the
// partners at once.
func (s *Service) ImportCSV(ctx context.Context, r io.Reader, publish bool) (ImportResult, error) {
	t, err := directory.ReadCSV(r, CSVColumns, []string{"partner_code", "order_number", "currency", "item_code", "quantity", "unit_price", "required_date"})
	if err != nil {
		return ImportResult{}, err
	}
	var errs []directory.RowError
	add := func(line int, col, reason string) {
		errs = append(errs, directory.RowError{Line: line, Column: col, Reason: reason})
	}
	ps, err := s.client.Partner.Query().Select(partner.FieldID, partner.FieldCode, partner.FieldKind).All(ctx)
	if err != nil {
		return ImportResult{}, err
	}
	byCode, byID := map[string]*ent.Partner{}, map[int]*ent.Partner{}
	for _, p := range ps {
		byCode[p.Code], byID[p.ID] = p, p
	}
	var list []*csvOrder
	byKey := map[string]*csvOrder{}
	for i, row := range t.Rows {
		line := t.Lines[i]
		get := func(c string) string { return t.Get(row, c) }
		p, ok := byCode[get("partner_code")]
		if !ok {
			add(line, "partner_code", fmt.Sprintf("no partner has code %q", get("partner_code")))
			continue
		}
		direction := get("direction")
		if direction == "" {
			direction = "upstream"
			if p.Kind == partner.KindCustomer {
				direction = "downstream"
			}
		}
		key := p.Code + "\x00" + get("order_number")
		o := byKey[key]
		if o == nil {
			o = &csvOrder{first: line, in: OrderInput{PartnerID: p.ID, Number: get("order_number"), Direction: direction,
				Currency: strings.ToUpper(get("currency")), Notes: get("notes")}}
			byKey[key] = o
			list = append(list, o)
		} else {
			if direction != o.in.Direction {
				add(line, "direction", fmt.Sprintf("differs from line %d of the same order", o.first))
			}
			if !strings.EqualFold(get("currency"), o.in.Currency) {
				add(line, "currency", fmt.Sprintf("differs from line %d of the same order", o.first))
			}
		}
		l := LineInput{ItemCode: get("item_code"), Description: get("description"), Unit: get("unit"), RequiredDate: get("required_date")}
		if q, err := ParseQty(get("quantity")); err != nil {
			add(line, "quantity", err.Error())
		} else {
			l.Quantity = q
		}
		if pr, err := ParsePrice(get("unit_price")); err != nil {
			add(line, "unit_price", err.Error())
		} else {
			l.UnitPrice = pr
		}
		if err := partners.Validate(l); err != nil {
			for _, f := range partners.ErrorFields(err) {
				add(line, f.Field, f.Reason)
			}
		}
		d, err := time.Parse("2006-01-02", l.RequiredDate)
		if err != nil && l.RequiredDate != "" {
			add(line, "required_date", "must be a date like 2026-12-31")
		}
		o.in.Lines = append(o.in.Lines, l)
		o.dates = append(o.dates, d)
		if len(errs) >= 1000 {
			break
		}
	}
	for _, o := range list {
		in := o.in
		in.Lines = nil
		if err := partners.Validate(struct {
			Number    string `json:"order_number" validate:"required,max=64,partnercode"`
			Currency  string `json:"currency" validate:"required,len=3,alpha"`
			Direction string `json:"direction" validate:"required,oneof=upstream downstream"`
		}{o.in.Number, o.in.Currency, o.in.Direction}); err != nil {
			for _, f := range partners.ErrorFields(err) {
				add(o.first, f.Field, f.Reason)
			}
		}
		p := byID[o.in.PartnerID]
		if (o.in.Direction == "upstream" && p.Kind != partner.KindSupplier) || (o.in.Direction == "downstream" && p.Kind != partner.KindCustomer) {
			add(o.first, "direction", fmt.Sprintf("%s orders cannot go to a %s", o.in.Direction, p.Kind))
		}
		if len(o.in.Lines) > 500 {
			add(o.first, "order_number", "has more than 500 lines")
		}
		if n, err := s.client.Order.Query().Where(order.PartnerID(o.in.PartnerID), order.Number(o.in.Number)).Count(ctx); err != nil {
			return ImportResult{}, err
		} else if n > 0 {
			add(o.first, "order_number", fmt.Sprintf("order %s already exists for this partner", o.in.Number))
		}
	}
	if len(errs) > 0 {
		return ImportResult{}, &directory.ImportError{Rows: errs}
	}
	v, _ := viewer.FromContext(ctx)
	var res ImportResult
	err = partners.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		c := tx.Client()
		now := s.now()
		for _, o := range list {
			q := c.Order.Create().SetPartnerID(o.in.PartnerID).SetDirection(order.Direction(o.in.Direction)).SetNumber(o.in.Number).
				SetCurrency(o.in.Currency).SetBuyerID(v.UserID).SetNotes(o.in.Notes)
			if publish {
				q.SetStatus(order.StatusPublished).SetPublishedAt(now)
			}
			row, err := q.Save(ctx)
			if err != nil {
				return err
			}
			lines := make([]*ent.OrderLineCreate, len(o.in.Lines))
			for i, l := range o.in.Lines {
				lines[i] = c.OrderLine.Create().SetOrderID(row.ID).SetPartnerID(row.PartnerID).SetLineNo(i + 1).SetItemCode(l.ItemCode).
					SetDescription(l.Description).SetQuantity(int64(l.Quantity)).SetUnit(or(l.Unit, "pcs")).
					SetUnitPrice(int64(l.UnitPrice)).SetRequiredDate(o.dates[i])
			}
			if err := c.OrderLine.CreateBulk(lines...).Exec(ctx); err != nil {
				return err
			}
			if publish {
				if err := s.snapshot(ctx, c, row.ID, "published by import"); err != nil {
					return err
				}
				if err := partners.Emit(ctx, c, partners.Event{PartnerID: row.PartnerID, Kind: "order.published", SubjectType: "order",
					SubjectID: row.ID, Payload: map[string]any{"number": row.Number, "direction": string(row.Direction)}}); err != nil {
					return err
				}
			}
			res.Orders++
			res.Lines += len(o.in.Lines)
		}
		return partners.Audit(ctx, c, partners.AuditRecord{Action: "order.import", EntityType: "order",
			After: map[string]any{"orders": res.Orders, "lines": res.Lines, "published": publish}})
	})
	if err != nil {
		return ImportResult{}, err
	}
	return res, nil
}
