package portal

// mailAdminPages are the admin's mail pages: whether SMTP is configured,
// the outbox, dead letters and bouncing addresses. (Slice M1.)
func (s *Server) mailAdminPages() []pageRoute { return nil }
