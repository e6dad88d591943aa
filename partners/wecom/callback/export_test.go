package callback

// WithoutPlaintext returns a copy of e without its plaintext, so tests
// can compare decoded events with literals.
func WithoutPlaintext(e Event) Event {
	switch e := e.(type) {
	case *ExternalContactChange:
		c := *e
		c.plaintext = nil
		return &c
	case *TemplateCardEvent:
		c := *e
		c.plaintext = nil
		return &c
	case *UnknownEvent:
		c := *e
		c.plaintext = nil
		return &c
	}
	return e
}
