package groups

import (
	"context"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/changerequest"
	"github.com/tierlink/tierlink/ent/group"
	"github.com/tierlink/tierlink/ent/groupmember"
	"github.com/tierlink/tierlink/ent/order"
	"github.com/tierlink/tierlink/ent/orderline"
	"github.com/tierlink/tierlink/ent/post"
	"github.com/tierlink/tierlink/ent/shipmentline"
	"github.com/tierlink/tierlink/ent/user"
	"github.com/tierlink/tierlink/partners/orders"
)

// Deciders are the staff who could decide a staff card (a change request
// to approve or reject, a receipt to confirm): the group's owner and
// staff members and the buyer of each order concerned, who may edit
// (admins and buyers) and are active. c is the client to read through,
// the transaction's when called from a hook; ctx must allow reading
// users, groups and orders (the system viewer does).
func Deciders(ctx context.Context, c *ent.Client, p *ent.Post) ([]*ent.User, error) {
	if p.SubjectID == nil {
		return nil, nil
	}
	g, err := c.Group.Query().Where(group.ID(p.GroupID)).Only(ctx)
	if err != nil {
		return nil, err
	}
	ids := []int{g.OwnerID}
	ms, err := c.GroupMember.Query().Where(groupmember.GroupID(g.ID), groupmember.UserIDNotNil()).All(ctx)
	if err != nil {
		return nil, err
	}
	for _, m := range ms {
		ids = append(ids, *m.UserID)
	}
	var orderIDs []int
	switch p.CardKind {
	case CardChangeRequest:
		if cr, err := c.ChangeRequest.Query().Where(changerequest.ID(*p.SubjectID)).Only(ctx); err == nil {
			orderIDs = append(orderIDs, cr.OrderID)
		}
	case CardReceipt:
		ls, err := c.ShipmentLine.Query().Where(shipmentline.ShipmentID(*p.SubjectID)).All(ctx)
		if err != nil {
			return nil, err
		}
		for _, l := range ls {
			orderIDs = append(orderIDs, l.OrderID)
		}
	default:
		return nil, nil
	}
	if len(orderIDs) > 0 {
		os, err := c.Order.Query().Where(order.IDIn(orderIDs...)).All(ctx)
		if err != nil {
			return nil, err
		}
		for _, o := range os {
			ids = append(ids, o.BuyerID)
		}
	}
	return c.User.Query().Where(user.IDIn(ids...), user.Active(true), user.RoleIn(user.RoleAdmin, user.RoleBuyer),
		user.PartnerIDIsNil()).Order(ent.Asc(user.FieldID)).All(ctx)
}

// CardActionNames are the actions a kind of card offers, in order.
func CardActionNames(kind string) []string {
	var out []string
	for _, a := range cardActions(kind) {
		out = append(out, a.Name)
	}
	return out
}

// Card is one card as the viewer in ctx sees it (a card of another
// partner is not found), in the reader's language from ctx.
func (s *Service) Card(ctx context.Context, id int) (Post, error) {
	r, err := s.client.Post.Query().Where(post.ID(id), post.KindEQ(post.KindCard)).Only(ctx)
	if err != nil {
		return Post{}, err
	}
	return s.toPost(ctx, r)
}

// CardChanges reads through c what change request crID asks, old value
// beside new, line by line: the card's Changes, for a caller inside a
// transaction (a mail hook).
func CardChanges(ctx context.Context, c *ent.Client, crID int) ([]CardChange, error) {
	cr, err := c.ChangeRequest.Query().Where(changerequest.ID(crID)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	o, err := c.Order.Get(ctx, cr.OrderID)
	if err != nil {
		return nil, err
	}
	ls, err := c.OrderLine.Query().Where(orderline.OrderID(cr.OrderID)).All(ctx)
	if err != nil {
		return nil, err
	}
	lines := make(map[int]*ent.OrderLine, len(ls))
	for _, l := range ls {
		lines[l.LineNo] = l
	}
	var out []CardChange
	for _, ch := range cr.Changes {
		l := lines[ch.LineNo]
		if l == nil {
			continue
		}
		base := CardChange{LineNo: ch.LineNo, ItemCode: l.ItemCode, Reason: ch.Reason}
		if ch.PromisedDate != "" {
			old := l.RequiredDate
			if l.PromisedDate != nil {
				old = *l.PromisedDate
			}
			x := base
			x.Field, x.Old, x.New = "promised_date", old.Format("2006-01-02"), ch.PromisedDate
			out = append(out, x)
		}
		if ch.QuantityMilli != nil {
			x := base
			x.Field, x.Old, x.New = "quantity", orders.Qty(l.Quantity).String()+" "+l.Unit, orders.Qty(*ch.QuantityMilli).String()+" "+l.Unit
			out = append(out, x)
		}
		if ch.UnitPriceE4 != nil {
			x := base
			x.Field, x.Old, x.New = "unit_price", orders.Price(l.UnitPrice).String()+" "+o.Currency, orders.Price(*ch.UnitPriceE4).String()+" "+o.Currency
			out = append(out, x)
		}
	}
	return out, nil
}
