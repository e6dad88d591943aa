package orders

import (
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/order"
	"github.com/tierlink/tierlink/ent/orderline"
	"github.com/tierlink/tierlink/ent/partner"
	"github.com/tierlink/tierlink/ent/viewer"
	"github.com/tierlink/tierlink/partners"
	"github.com/tierlink/tierlink/partners/csvfile"
	"github.com/tierlink/tierlink/partners/i18n"
)

// CSVColumns are the columns of an order import: one row per order line,
// rows of one order sharing partner_code and order_number.
var CSVColumns = []string{"partner_code", "order_number", "direction", "currency", "item_code", "description", "quantity", "unit", "unit_price", "required_date", "notes"}

// CSVOptional are the columns an import file may leave out.
func CSVOptional() []string {
	var out []string
	for _, c := range CSVColumns {
		if !slices.Contains(CSVRequired, c) {
			out = append(out, c)
		}
	}
	return out
}

// CSVRequired are the columns an import file must have.
var CSVRequired = []string{"partner_code", "order_number", "currency", "item_code", "quantity", "unit_price", "required_date"}

// ImportResult says what an import stored, and the encoding the file was
// read in.
type ImportResult struct {
	Orders int `json:"orders"`
	Lines  int `json:"lines"`
	// Unchanged counts orders the file names that exist exactly as the
	// file has them (an export imported back): they are left alone.
	Unchanged int `json:"unchanged"`
	// Encoding is utf-8 or gb18030; EncodingHow says how it was decided
	// (byte-order mark, named, detected, ASCII only).
	Encoding    csvfile.Encoding `json:"encoding"`
	EncodingHow string           `json:"encoding_how"`
}

type csvOrder struct {
	in    OrderInput
	first int // line of the file where the order starts
	dates []time.Time
}

// ImportCSV creates draft orders from an ERP export, all or none: every
// bad row is reported with its line and column, and nothing is stored
// unless the whole file is good. An order that already exists exactly as
// the file has it is left alone (so ExportCSV's file imports back
// unchanged); one that differs is refused. With publish, the new orders
// go to the partners at once. r may name its encoding with
// csvfile.Named; otherwise it is detected.
func (s *Service) ImportCSV(ctx context.Context, r io.Reader, publish bool) (ImportResult, error) {
	t, err := csvfile.Read(r, CSVColumns, CSVRequired)
	if err != nil {
		return ImportResult{}, err
	}
	var errs []csvfile.RowError
	add := func(line int, col string, m i18n.Message) {
		errs = append(errs, csvfile.RowError{Line: line, Column: col, Reason: i18n.For(i18n.English).Render(m), Msg: m})
	}
	// addErr reports a typed refusal with its catalogue message.
	addErr := func(line int, col string, err error) {
		var de *DecimalError
		if !errors.As(err, &de) {
			add(line, col, partners.R("decimal_invalid"))
			return
		}
		errs = append(errs, csvfile.RowError{Line: line, Column: col, Reason: de.Error(), Msg: de.Msg()})
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
			add(line, "partner_code", partners.R("csv_no_partner_code", "Code", get("partner_code")))
			continue
		}
		// An empty cell takes the partner's direction, as the API does;
		// a direction that does not fit the partner is refused below.
		direction := order.Direction(get("direction"))
		if direction == "" {
			direction, _ = DirectionFor(p.Kind)
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
				add(line, "direction", partners.R("csv_differs_from_line", "Line", o.first))
			}
			if !strings.EqualFold(get("currency"), o.in.Currency) {
				add(line, "currency", partners.R("csv_differs_from_line", "Line", o.first))
			}
		}
		l := LineInput{ItemCode: get("item_code"), Description: get("description"), Unit: get("unit"), RequiredDate: get("required_date")}
		if q, err := ParseQty(get("quantity")); err != nil {
			addErr(line, "quantity", err)
		} else {
			l.Quantity = q
		}
		if pr, err := ParsePrice(get("unit_price")); err != nil {
			addErr(line, "unit_price", err)
		} else {
			l.UnitPrice = pr
		}
		if err := partners.Validate(l); err != nil {
			errs = append(errs, csvfile.RowErrors(line, err)...)
		}
		d, err := time.Parse("2006-01-02", l.RequiredDate)
		if err != nil && l.RequiredDate != "" {
			add(line, "required_date", partners.R("date"))
		}
		o.in.Lines = append(o.in.Lines, l)
		o.dates = append(o.dates, d)
		if len(errs) >= csvfile.MaxErrors {
			break
		}
	}
	var fresh []*csvOrder
	unchanged := 0
	for _, o := range list {
		if err := partners.Validate(struct {
			Number    string          `json:"order_number" validate:"required,max=64,partnercode"`
			Currency  string          `json:"currency" validate:"required,len=3,alpha"`
			Direction order.Direction `json:"direction" validate:"omitempty,oneof=upstream downstream"`
		}{o.in.Number, o.in.Currency, o.in.Direction}); err != nil {
			errs = append(errs, csvfile.RowErrors(o.first, err)...)
		}
		if _, ferr := directionOf(byID[o.in.PartnerID].Kind, o.in.Direction); ferr != nil {
			col := ferr.Field
			if col == "partner_id" {
				col = "partner_code"
			}
			errs = append(errs, csvfile.RowError{Line: o.first, Column: col, Reason: ferr.Reason, Msg: ferr.Msg})
		}
		if len(o.in.Lines) > 500 {
			add(o.first, "order_number", partners.R("csv_order_too_many_lines", "Max", 500))
		}
		old, err := s.client.Order.Query().Where(order.PartnerID(o.in.PartnerID), order.Number(o.in.Number)).
			WithLines(func(q *ent.OrderLineQuery) { q.Order(ent.Asc(orderline.FieldLineNo)) }).Only(ctx)
		switch {
		case ent.IsNotFound(err):
			fresh = append(fresh, o)
		case err != nil:
			return ImportResult{}, err
		case sameOrder(old, o):
			unchanged++
		default:
			add(o.first, "order_number", partners.R("csv_order_exists_differs", "Number", o.in.Number))
		}
	}
	if len(errs) > 0 {
		return ImportResult{}, csvfile.Refused(errs)
	}
	list = fresh
	v, _ := viewer.FromContext(ctx)
	res := ImportResult{Unchanged: unchanged, Encoding: t.Encoding, EncodingHow: t.How}
	err = partners.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		c := tx.Client()
		now := s.now()
		for _, o := range list {
			q := c.Order.Create().SetPartnerID(o.in.PartnerID).SetDirection(o.in.Direction).SetNumber(o.in.Number).
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
				if err := s.snapshot(ctx, c, row.ID, reasonText(RevImported, 0)); err != nil {
					return err
				}
				if err := partners.Emit(ctx, c, row.PartnerID, row.ID,
					partners.OrderPublished{Number: row.Number, Direction: row.Direction}); err != nil {
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

// sameOrder says whether the stored order is exactly the file's.
func sameOrder(old *ent.Order, o *csvOrder) bool {
	if old.Direction != o.in.Direction || old.Currency != o.in.Currency || old.Notes != o.in.Notes ||
		len(old.Edges.Lines) != len(o.in.Lines) {
		return false
	}
	for i, l := range old.Edges.Lines {
		in := o.in.Lines[i]
		if l.ItemCode != in.ItemCode || l.Description != in.Description || l.Quantity != int64(in.Quantity) ||
			l.Unit != or(in.Unit, "pcs") || l.UnitPrice != int64(in.UnitPrice) || !l.RequiredDate.UTC().Equal(o.dates[i]) {
			return false
		}
	}
	return true
}

// ExportCSV writes every order visible to the caller in the columns
// ImportCSV reads, one row per line, the order's notes on its first row,
// in enc (UTF-8 with a byte-order mark unless GB18030) with formula cells
// escaped. Imported back into the same portal it changes nothing.
func (s *Service) ExportCSV(ctx context.Context, w io.Writer, enc csvfile.Encoding) (int, error) {
	cw := csvfile.NewWriter(w, enc)
	if err := cw.Write(CSVColumns); err != nil {
		return 0, err
	}
	codes := map[int]string{}
	ps, err := s.client.Partner.Query().Select(partner.FieldID, partner.FieldCode).All(ctx)
	if err != nil {
		return 0, err
	}
	for _, p := range ps {
		codes[p.ID] = p.Code
	}
	n, lastID := 0, 0
	for {
		rows, err := s.client.Order.Query().Where(order.IDGT(lastID)).Order(ent.Asc(order.FieldID)).Limit(500).
			WithLines(func(q *ent.OrderLineQuery) { q.Order(ent.Asc(orderline.FieldLineNo)) }).All(ctx)
		if err != nil {
			return n, err
		}
		for _, o := range rows {
			for i, l := range o.Edges.Lines {
				notes := ""
				if i == 0 {
					notes = o.Notes
				}
				if err := cw.Write([]string{codes[o.PartnerID], o.Number, string(o.Direction), o.Currency, l.ItemCode, l.Description,
					Qty(l.Quantity).String(), l.Unit, Price(l.UnitPrice).String(), l.RequiredDate.UTC().Format("2006-01-02"), notes}); err != nil {
					return n, err
				}
			}
			n++
		}
		if len(rows) < 500 {
			break
		}
		lastID = rows[len(rows)-1].ID
	}
	return n, cw.Flush()
}
