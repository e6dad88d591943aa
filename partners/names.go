package partners

import (
	"context"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/partner"
)

// PartnerNames reads the names of the partners ids name in one query, so
// a list can show each row's partner without a read per row. A partner
// the caller may not see is left out.
func PartnerNames(ctx context.Context, c *ent.Client, ids []int) (map[int]string, error) {
	rows, err := c.Partner.Query().Where(partner.IDIn(ids...)).Select(partner.FieldID, partner.FieldName).All(ctx)
	if err != nil {
		return nil, err
	}
	names := make(map[int]string, len(rows))
	for _, p := range rows {
		names[p.ID] = p.Name
	}
	return names, nil
}
