package groups_test

import (
	"strings"
	"testing"

	"github.com/tierlink/tierlink/partners/groups"
)

// FuzzParseMentions: any text parses without panicking, and every
// mention found names a member whose name follows an @ in the text.
func FuzzParseMentions(f *testing.F) {
	for _, s := range []string{"@Bo Buyer hi", "@刘洋请确认", "a@b.c @", "@@@", "@Brian Bravo,@bo", "\xff@\xfe"} {
		f.Add(s)
	}
	members := []groups.Mention{{Type: "user", ID: 1, Name: "Bo"}, {Type: "user", ID: 2, Name: "Bo Buyer"},
		{Type: "contact", ID: 3, Name: "刘洋"}, {Type: "contact", ID: 4, Name: "Brian Bravo"}}
	f.Fuzz(func(t *testing.T, text string) {
		seen := map[int]bool{}
		for _, m := range groups.ParseMentions(text, members) {
			if seen[m.ID] {
				t.Fatalf("%q: member %d listed twice", text, m.ID)
			}
			seen[m.ID] = true
			if !strings.Contains(strings.ToLower(text), "@"+strings.ToLower(m.Name)) {
				t.Fatalf("%q: mention of %q without @%s", text, m.Name, m.Name)
			}
		}
	})
}
