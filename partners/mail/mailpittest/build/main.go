// Command build builds the pinned Mailpit into the tool cache, for CI
// to run before the tests: go run ./partners/mail/mailpittest/build.
package main

import (
	"fmt"
	"os"

	"github.com/tierlink/tierlink/partners/mail/mailpittest"
)

func main() {
	bin, err := mailpittest.Build()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(bin)
}
