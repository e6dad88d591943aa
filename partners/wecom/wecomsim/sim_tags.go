package wecomsim

// FollowTag is one tag of follow_user[].tags as externalcontact/get
// returns it: the tag's group and name, its type (1 set by the corp, 2
// the member's own, 3 a rule group's) and, for corp tags, its id.
type FollowTag struct {
	GroupName string `json:"group_name"`
	TagName   string `json:"tag_name"`
	TagID     string `json:"tag_id,omitempty"`
	Type      int    `json:"type"`
}

// followTags describes a follow's corp tags as externalcontact/get does,
// named from the corp's tag list; an id the list does not name is given
// with an empty name. The caller holds mu.
func (s *Server) followTags(ids []string) []FollowTag {
	out := []FollowTag{}
	for _, id := range ids {
		t := FollowTag{TagID: id, Type: 1}
		for _, g := range s.tags {
			for _, tg := range g.Tag {
				if tg.ID == id {
					t.GroupName, t.TagName = g.GroupName, tg.Name
				}
			}
		}
		out = append(out, t)
	}
	return out
}
