package web

// RoutePatterns returns the pattern of every page route, for the role
// matrix test.
func RoutePatterns() []string {
	s := &server{}
	s.routes()
	return s.patterns
}

// AuditActions returns the actions the audit log names in words.
func AuditActions() map[string]string { return auditActionKeys }
