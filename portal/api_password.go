package portal

// registerPasswordRoutes declares the password reset API. (Slice M2.)
func (s *Server) registerPasswordRoutes(g api) {}
