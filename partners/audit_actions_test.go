package partners

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestEveryAuditedActionHasASentence scans the code for audited actions
// ("partner.update", action := "job.pause") and fails for one the trail
// could only tell as "made a change".
func TestEveryAuditedActionHasASentence(t *testing.T) {
	re := regexp.MustCompile(`(?:Action:\s*|action\s*:?=\s*)"([a-z_]+\.[a-z_.]+)"`)
	found := 0
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); n == "ent" || n == "node_modules" || strings.HasPrefix(n, ".") && n != ".." {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range re.FindAllStringSubmatch(string(src), -1) {
			found++
			if _, ok := auditSentences[m[1]]; !ok {
				t.Errorf("%s: action %q has no sentence in auditSentences", path, m[1])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if found < 20 {
		t.Fatalf("found only %d audited actions: the scan is broken", found)
	}
}
