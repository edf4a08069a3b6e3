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
	return f, addFilter(&f, e)
}

func addFilter(f *kassa.DirectoryFilter, e filter.Expression) error {
	unsupported := badRequest("invalidFilter",
		`kassa filters users with eq joined by and, on userName, externalId, displayName and emails[type eq "work"].value.`)
	switch e := e.(type) {
	case *filter.LogicalExpression:
		if e.Operator != filter.AND {
			return unsupported
		}
		if err := addFilter(f, e.Left); err != nil {
			return err
		}
		return addFilter(f, e.Right)
	case *filter.AttributeExpression:
		v, ok := e.CompareValue.(string)
		if !ok || e.Operator != filter.EQ {
			return unsupported
		}
		v = unquote(v)
		attr := strings.ToLower(e.AttributePath.AttributeName)
		sub := strings.ToLower(e.AttributePath.SubAttributeName())
		switch {
		case attr == "username" && sub == "":
			f.UserName = &v
		case attr == "externalid" && sub == "":
			f.ExternalID = &v
		case attr == "displayname" && sub == "":
			f.DisplayName = &v
		case attr == "emails" && (sub == "" || sub == "value"):
			f.Email = &v
		default:
			return unsupported
		}
		return nil
	case *filter.ValuePath:
		if !strings.EqualFold(e.AttributePath.AttributeName, "emails") {
			return unsupported
		}
		return emailValueFilter(f, e.ValueFilter, unsupported)
	}
	return unsupported
}

// emailValueFilter reads the inside of emails[…]: type eq "work" and
// value eq "…", in either order.
func emailValueFilter(f *kassa.DirectoryFilter, e filter.Expression, unsupported error) error {
	switch e := e.(type) {
	case *filter.LogicalExpression:
		if e.Operator != filter.AND {
			return unsupported
		}
		if err := emailValueFilter(f, e.Left, unsupported); err != nil {
			return err
		}
		return emailValueFilter(f, e.Right, unsupported)
	case *filter.AttributeExpression:
		v, ok := e.CompareValue.(string)
		if !ok || e.Operator != filter.EQ {
			return unsupported
		}
		switch strings.ToLower(e.AttributePath.AttributeName) {
		case "type":
			if !strings.EqualFold(v, "work") {
				return unsupported
			}
		case "value":
			v = unquote(v)
			f.Email = &v
		default:
			return unsupported
		}
		return nil
	}
	return unsupported
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
