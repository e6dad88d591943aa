package partners

import (
	"context"

	"github.com/tierlink/tierlink/ent"
	"github.com/tierlink/tierlink/ent/partner"
	"github.com/tierlink/tierlink/ent/user"
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

// PeopleNames maps the actor labels records keep (a user's e-mail) to
// the users' names in one query, so a page names people rather than
// addresses. A label that names no user (a job) maps to itself.
func PeopleNames(ctx context.Context, c *ent.Client, labels []string) (map[string]string, error) {
	rows, err := c.User.Query().Where(user.EmailIn(labels...)).Select(user.FieldEmail, user.FieldName).All(ctx)
	if err != nil {
		return nil, err
	}
	names := make(map[string]string, len(labels))
	for _, l := range labels {
		names[l] = l
	}
	for _, u := range rows {
		if u.Name != "" {
			names[u.Email] = u.Name
		}
	}
	return names, nil
}
