package portal

// registerMailRoutes declares the mail outbox API. (Slice M1.)
func (s *Server) registerMailRoutes(g api) {}
