package portal

// notifyPages are the notification preferences and the unsubscribe
// pages. (Slice M3.)
func (s *Server) notifyPages() []pageRoute { return nil }
