package scim

import (
	"regexp"
	"strings"

	filter "github.com/scim2/filter-parser/v2"

	"github.com/kassa-billing/kassa"
)

// subAttributeFilter finds `emails[type eq "work"].value eq "…"`, which
// Entra sends and RFC 7644's grammar lacks (a value path with a
// sub-attribute compared): it is read as `emails[type eq "work" and value
// eq "…"]`, which means the same.
var subAttributeFilter = regexp.MustCompile(`(?i)(\w+)\[([^\]]*)\]\.(\w+)\s+(eq)\s+("(?:[^"\\]|\\.)*")`)

// parseFilter reads a filter of Users: eq comparisons joined by and, on
// userName, externalId, displayName and the work email ("" keeps
// everyone). Errors: 400 invalidFilter.
func parseFilter(raw string) (kassa.DirectoryFilter, error) {
	var f kassa.DirectoryFilter
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return f, nil
	}
	raw = subAttributeFilter.ReplaceAllString(raw, `$1[$2 and $3 $4 $5]`)
	e, err := filter.ParseFilter([]byte(raw))
	if err != nil {
		return f, badRequest("invalidFilter", "The filter "+raw+" is not a SCIM filter.")
	}
	return f, eqFilter(e, func(path, v string) bool {
		switch path {
		case "username":
			f.UserName = &v
		case "externalid":
			f.ExternalID = &v
		case "displayname":
			f.DisplayName = &v
		case "emails", "emails.value", "emails[].value":
			f.Email = &v
		case "emails[].type":
			return strings.EqualFold(v, "work")
		default:
			return false
		}
		return true
	}, `kassa filters users with eq joined by and, on userName, externalId, displayName and emails[type eq "work"].value.`)
}

// eqFilter walks eq comparisons joined by and, handing set each one's
// attribute path in lower case ("emails.value" for a sub-attribute,
// "emails[].type" inside a value path) and its value; set reports whether
// it takes them. Anything else is a 400 invalidFilter saying unsupported.
func eqFilter(e filter.Expression, set func(path, v string) bool, unsupported string) error {
	switch e := e.(type) {
	case *filter.LogicalExpression:
		if e.Operator == filter.AND {
			if err := eqFilter(e.Left, set, unsupported); err != nil {
				return err
			}
			return eqFilter(e.Right, set, unsupported)
		}
	case *filter.AttributeExpression:
		path := strings.ToLower(e.AttributePath.AttributeName)
		if sub := e.AttributePath.SubAttributeName(); sub != "" {
			path += "." + strings.ToLower(sub)
		}
		if v, ok := e.CompareValue.(string); ok && e.Operator == filter.EQ && set(path, unquote(v)) {
			return nil
		}
	case *filter.ValuePath:
		outer := strings.ToLower(e.AttributePath.AttributeName) + "[]."
		return eqFilter(e.ValueFilter, func(path, v string) bool { return set(outer+path, v) }, unsupported)
	}
	return badRequest("invalidFilter", unsupported)
}

// unquote decodes the escapes of a filter's string, which the parser
// leaves as written.
func unquote(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
