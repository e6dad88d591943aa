package partnerstest

import "testing"

// CollectPages follows next cursors from the first page to the last and
// returns the ids in the order served; list must be asked for two rows a
// page, and a larger page or one that never ends fails the test.
func CollectPages(t testing.TB, list func(cursor string) ([]int, string, error)) []int {
	t.Helper()
	var ids []int
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 100 {
			t.Fatal("paging does not end")
		}
		page, next, err := list(cursor)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) > 2 {
			t.Fatalf("a page of %d rows, limit 2", len(page))
		}
		ids = append(ids, page...)
		if next == "" {
			return ids
		}
		cursor = next
	}
}
