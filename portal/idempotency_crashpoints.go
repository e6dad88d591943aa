//go:build tierlink_crashpoints

package portal

import (
	"os"
	"strings"
	"syscall"
)

// Built only into the crash tests' binary (go build -tags
// tierlink_crashpoints): a request whose Idempotency-Key starts with
// TIERLINK_TEST_CRASH_AFTER_COMMIT kills the process right after its
// work committed and before its answer is saved.
func init() {
	prefix := os.Getenv("TIERLINK_TEST_CRASH_AFTER_COMMIT")
	if prefix == "" {
		return
	}
	afterIdempotentCommit = func(key string) {
		if strings.HasPrefix(key, prefix) {
			syscall.Kill(os.Getpid(), syscall.SIGKILL) //nolint:errcheck // the process ends here
		}
	}
}
