package schematype

// Mention is a member named with @ in a post, as the post stores it.
type Mention struct {
	Type string `json:"type"` // user or contact
	ID   int    `json:"id"`
	Name string `json:"name"`
}
