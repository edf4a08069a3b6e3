package scim

import (
	"slices"
	"strings"

	filter "github.com/scim2/filter-parser/v2"

	"github.com/kassa-billing/kassa"
)

// operation is one PATCH operation: op in lower case, path in the form
// setAttribute matches ("" for none).
type operation struct {
	op, path string
	value    any
}

// readPatch reads a PatchOp body's operations, their op in any case.
func readPatch(body map[string]any) ([]operation, error) {
	var raw any
	for k, v := range body {
		if strings.EqualFold(k, "Operations") {
			raw = v
		}
	}
	list, ok := raw.([]any)
	if !ok || len(list) == 0 {
		return nil, badRequest("invalidSyntax", "A PATCH body holds its changes in Operations, a list.")
	}
	ops := make([]operation, 0, len(list))
	for _, item := range list {
		m, ok := item.(map[string]any)
		if !ok {
			return nil, badRequest("invalidSyntax", "Each of Operations must be an object.")
		}
		var o operation
		for k, v := range m {
			switch strings.ToLower(k) {
			case "op":
				s, _ := v.(string)
				o.op = strings.ToLower(s)
			case "path":
				s, _ := v.(string)
				o.path = s
			case "value":
				o.value = v
			}
		}
		if o.op != "add" && o.op != "replace" && o.op != "remove" {
			return nil, badRequest("invalidSyntax", `op must be "add", "replace" or "remove".`)
		}
		if o.path != "" {
			p, err := normalizePath(o.path)
			if err != nil {
				return nil, err
			}
			o.path = p
		} else if o.op == "remove" {
			return nil, badRequest("noTarget", "A remove operation needs a path.")
		}
		ops = append(ops, o)
	}
	return ops, nil
}

// normalizePath returns a PATCH path in the form setAttribute matches:
// lower case, without the core User schema's URN, and the work email's
// value path as `emails[type eq "work"].value` however it is spaced. A
// path kassa has no use for comes back as it is, to be ignored.
func normalizePath(p string) (string, error) {
	p = attributePath(p)
	if !strings.Contains(p, "[") {
		return p, nil
	}
	path, err := filter.ParsePath([]byte(p))
	if err != nil {
		return "", badRequest("invalidPath", "The path "+p+" is not a SCIM path.")
	}
	e, ok := path.ValueExpression.(*filter.AttributeExpression)
	if ok && strings.EqualFold(path.AttributePath.AttributeName, "emails") && path.SubAttributeName() == "value" &&
		strings.EqualFold(e.AttributePath.AttributeName, "type") && e.Operator == filter.EQ {
		if t, _ := e.CompareValue.(string); strings.EqualFold(t, "work") {
			return `emails[type eq "work"].value`, nil
		}
	}
	return p, nil
}

// setInOrder sets the attributes of values (paths as keys), displayName
// last so that it wins over name.formatted as SPEC §8 says.
func setInOrder(d *kassa.DirectoryUser, values map[string]any) error {
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		ad, bd := attributePath(a) == "displayname", attributePath(b) == "displayname"
		switch {
		case ad == bd:
			return strings.Compare(a, b)
		case ad:
			return 1
		}
		return -1
	})
	for _, k := range keys {
		p, err := normalizePath(k)
		if err != nil {
			return err
		}
		if err := setAttribute(d, p, values[k], false); err != nil {
			return err
		}
	}
	return nil
}

// patchUser applies the operations to d in order. A name made of given and
// family name follows them when they change and no display name is given.
func patchUser(d *kassa.DirectoryUser, ops []operation) error {
	parts := func() string { return strings.TrimSpace(d.GivenName + " " + d.FamilyName) }
	namedByParts := parts() != "" && d.Name == parts()
	oldName := d.Name
	for _, o := range ops {
		if o.path == "" {
			values, ok := o.value.(map[string]any)
			if !ok {
				return badRequest("invalidValue", "An operation without a path needs an object as its value.")
			}
			if err := setInOrder(d, values); err != nil {
				return err
			}
			continue
		}
		if err := setAttribute(d, o.path, o.value, o.op == "remove"); err != nil {
			return err
		}
	}
	if namedByParts && d.Name == oldName {
		d.Name = parts()
	}
	return nil
}
