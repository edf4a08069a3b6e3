package web

// RoutePatterns returns the pattern of every page route, for the role
// matrix test.
func RoutePatterns() []string {
	s := &server{}
	s.routes()
	return s.patterns
}
