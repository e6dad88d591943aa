package partners

import (
	"encoding/base64"
	"encoding/json"
)

// EncodeCursor turns a position into an opaque cursor string.
func EncodeCursor(v any) string {
	b, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeCursor reads a cursor made by EncodeCursor into v.
func DecodeCursor(s string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) > 1024 {
		return Invalid("cursor", "is not a cursor this server issued")
	}
	if err := json.Unmarshal(b, v); err != nil {
		return Invalid("cursor", "is not a cursor this server issued")
	}
	return nil
}
