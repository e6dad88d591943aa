package portal

// mailActionPages are the confirmation pages of one-click actions mailed
// with a card. (Slice M3.)
func (s *Server) mailActionPages() []pageRoute { return nil }
