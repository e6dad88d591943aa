package portal

// accountMailPages are the pages mail links to about an account:
// forgotten password, reset, e-mail change and its confirmation. (Slice M2.)
func (s *Server) accountMailPages() []pageRoute { return nil }
