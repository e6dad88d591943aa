package documents_test

import (
	"io"
	"net/http"
	"testing"
)

func getURL(t *testing.T, u string) []byte {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET presigned: %d", resp.StatusCode)
	}
	b, _ := io.ReadAll(resp.Body)
	return b
}
