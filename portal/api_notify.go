package portal

// registerNotifyRoutes declares the notification preference API. (Slice M3.)
func (s *Server) registerNotifyRoutes(g api) {}
