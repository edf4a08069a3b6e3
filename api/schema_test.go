package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/mail"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/kassa-billing/kassa"
)

// This file holds a validator for the subset of JSON Schema 2020-12 that
// openapi.json uses, and checkResponse, which holds an answer of the server
// to the document. A keyword the validator does not know is reported rather
// than ignored, so that the document cannot promise more than is checked.

// apiDoc is openapi.json decoded with its numbers kept exact.
type apiDoc struct {
	root map[string]any
}

// openAPIDoc decodes the embedded document once for all tests.
var openAPIDoc = sync.OnceValues(func() (*apiDoc, error) {
	v, err := decodeJSON(openAPIDocument)
	if err != nil {
		return nil, fmt.Errorf("openapi.json: %w", err)
	}
	root, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("openapi.json is not a JSON object")
	}
	return &apiDoc{root: root}, nil
})

func mustOpenAPIDoc(t testing.TB) *apiDoc {
	t.Helper()
	d, err := openAPIDoc()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// decodeJSON decodes one JSON value, numbers as json.Number, and nothing
// after it.
func decodeJSON(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if rest := bytes.TrimSpace(b[dec.InputOffset():]); len(rest) != 0 {
		return nil, fmt.Errorf("%.20q follows the value", rest)
	}
	return v, nil
}

// checkResponse fails t unless body is what openapi.json documents for the
// answer with the status to method on path, a concrete path such as
// /api/v1/users (without the query) that is matched to the documented
// templates. Error answers must also carry the code of their status.
func checkResponse(t testing.TB, method, path string, status int, body []byte) {
	t.Helper()
	if err := mustOpenAPIDoc(t).checkResponse(method, path, status, body); err != nil {
		t.Errorf("%s %s answered %d against openapi.json: %v\nbody: %.2000s", method, path, status, err, body)
	}
}

func (d *apiDoc) checkResponse(method, path string, status int, body []byte) error {
	path, _, _ = strings.Cut(path, "?")
	head := method == "HEAD"
	if head {
		method = "GET"
	}
	op, tmpl := d.operation(method, path)
	if op == nil && status == http.StatusMethodNotAllowed {
		// The path's operations document the answer to the methods it
		// does not take.
		op, tmpl = d.anyOperation(path)
	}
	if op == nil {
		return fmt.Errorf("no operation %s %s is documented", method, path)
	}
	responses, _ := op["responses"].(map[string]any)
	resp, ok := responses[strconv.Itoa(status)]
	if !ok {
		resp, ok = responses[fmt.Sprintf("%dXX", status/100)]
	}
	if !ok {
		resp, ok = responses["default"]
	}
	if !ok {
		return fmt.Errorf("%s %s does not document status %d", method, tmpl, status)
	}
	r, err := d.deref(resp)
	if err != nil {
		return err
	}
	ro, _ := r.(map[string]any)
	content, _ := ro["content"].(map[string]any)
	if head || len(content) == 0 {
		if len(bytes.TrimSpace(body)) != 0 {
			return fmt.Errorf("%s %s documents no body for %d, but there is one", method, tmpl, status)
		}
		return nil
	}
	// Documented exports that are not JSON: a PDF must look like one, and
	// a CSV body is whatever is not JSON where CSV is documented.
	if _, ok := content["application/pdf"]; ok && bytes.HasPrefix(body, []byte("%PDF-")) {
		return nil
	}
	if _, ok := content["text/csv"]; ok {
		if _, err := decodeJSON(body); err != nil {
			return nil
		}
	}
	media, ok := content["application/json"].(map[string]any)
	if !ok {
		return fmt.Errorf("%s %s documents no application/json body for %d", method, tmpl, status)
	}
	v, err := decodeJSON(body)
	if err != nil {
		return fmt.Errorf("the body is not JSON: %v", err)
	}
	if err := d.validate(media["schema"], v); err != nil {
		return err
	}
	return checkErrorStatus(status, v)
}

// checkErrorStatus checks that an error answer's code is the one of its
// status in the table of errors.go.
func checkErrorStatus(status int, v any) error {
	obj, _ := v.(map[string]any)
	e, _ := obj["error"].(map[string]any)
	code, _ := e["code"].(string)
	if status < 400 || code == "" {
		return nil
	}
	if want, ok := statuses[kassa.Code(code)]; ok && want != status {
		return fmt.Errorf("at /error/code: %s is answered with %d, not %d", code, want, status)
	}
	return nil
}

// operation returns the operation of method on path and the template that
// matched it. A literal segment beats a {parameter}.
func (d *apiDoc) operation(method, path string) (map[string]any, string) {
	paths, _ := d.root["paths"].(map[string]any)
	var best map[string]any
	bestTmpl, bestScore := "", -1
	for tmpl, item := range paths {
		score, ok := matchPath(tmpl, path)
		op, has := item.(map[string]any)[strings.ToLower(method)].(map[string]any)
		if ok && has && score > bestScore {
			best, bestTmpl, bestScore = op, tmpl, score
		}
	}
	return best, bestTmpl
}

// anyOperation returns an operation of the template that path matches.
func (d *apiDoc) anyOperation(path string) (map[string]any, string) {
	for _, m := range []string{"get", "post", "put", "patch", "delete"} {
		if op, tmpl := d.operation(m, path); op != nil {
			return op, tmpl
		}
	}
	return nil, ""
}

// matchPath reports whether path fits the template and how many of its
// segments matched literally.
func matchPath(tmpl, path string) (int, bool) {
	ts, ps := strings.Split(tmpl, "/"), strings.Split(path, "/")
	if len(ts) != len(ps) {
		return 0, false
	}
	literal := 0
	for i, t := range ts {
		switch {
		case t == ps[i]:
			literal++
		case strings.HasPrefix(t, "{") && strings.HasSuffix(t, "}") && ps[i] != "":
		default:
			return 0, false
		}
	}
	return literal, true
}

// resolve returns what the local reference ref ("#/a/b") points at.
func (d *apiDoc) resolve(ref string) (any, error) {
	rest, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return nil, fmt.Errorf("$ref %q is not local to the document", ref)
	}
	var v any = d.root
	for tok := range strings.SplitSeq(rest, "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("$ref %q does not resolve", ref)
		}
		if v, ok = obj[tok]; !ok {
			return nil, fmt.Errorf("$ref %q does not resolve", ref)
		}
	}
	return v, nil
}

// deref follows v's $ref, if it is a Reference Object.
func (d *apiDoc) deref(v any) (any, error) {
	for range 10 {
		obj, _ := v.(map[string]any)
		ref, ok := obj["$ref"].(string)
		if !ok {
			return v, nil
		}
		var err error
		if v, err = d.resolve(ref); err != nil {
			return nil, err
		}
	}
	return nil, errors.New("$ref chain too long")
}

// validate checks v against schema and returns every violation, each
// naming the JSON pointer of the offending value.
func (d *apiDoc) validate(schema, v any) error {
	var errs []string
	d.check(schema, v, "", &errs)
	if len(errs) == 0 {
		return nil
	}
	return errors.New(strings.Join(errs, "; "))
}

// annotations are keywords that do not constrain values.
var annotations = []string{
	"description", "title", "default", "example", "examples", "deprecated",
	"readOnly", "writeOnly", "$comment",
}

func (d *apiDoc) check(schema, v any, ptr string, errs *[]string) {
	fail := func(format string, args ...any) {
		at := ptr
		if at == "" {
			at = "(root)"
		}
		*errs = append(*errs, "at "+at+": "+fmt.Sprintf(format, args...))
	}
	if b, ok := schema.(bool); ok {
		if !b {
			fail("no value is allowed here")
		}
		return
	}
	s, ok := schema.(map[string]any)
	if !ok {
		fail("the schema is %T, not an object", schema)
		return
	}
	// Keywords in a fixed order, so that messages are stable.
	keys := make([]string, 0, len(s))
	for k := range s {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		kw := s[k]
		switch k {
		case "$ref":
			target, err := d.resolve(kw.(string))
			if err != nil {
				fail("%v", err)
				continue
			}
			d.check(target, v, ptr, errs)
		case "type":
			if !hasType(kw, v) {
				fail("got %s, want %s", describeJSON(v), typeNames(kw))
			}
		case "enum":
			if !slices.ContainsFunc(kw.([]any), func(e any) bool { return jsonEqual(e, v) }) {
				fail("%s is not one of %s", describeJSON(v), jsonText(kw))
			}
		case "const":
			if !jsonEqual(kw, v) {
				fail("%s is not %s", describeJSON(v), jsonText(kw))
			}
		case "properties", "required", "additionalProperties":
			// checked together, below
		case "items":
			if a, ok := v.([]any); ok {
				for i, e := range a {
					d.check(kw, e, ptr+"/"+strconv.Itoa(i), errs)
				}
			}
		case "minItems", "maxItems":
			if a, ok := v.([]any); ok && !withinBound(k, kw, int64(len(a))) {
				fail("%d items, %s is %s", len(a), k, kw)
			}
		case "minLength", "maxLength":
			if str, ok := v.(string); ok && !withinBound(k, kw, int64(utf8.RuneCountInString(str))) {
				fail("%q has %d characters, %s is %s", str, utf8.RuneCountInString(str), k, kw)
			}
		case "minimum", "maximum":
			if n, ok := v.(json.Number); ok && !inRange(k, kw.(json.Number), n) {
				fail("%s is out of range, %s is %s", n, k, kw)
			}
		case "pattern":
			re, err := regexp.Compile(kw.(string))
			if err != nil {
				fail("pattern %q: %v", kw, err)
			} else if str, ok := v.(string); ok && !re.MatchString(str) {
				fail("%q does not match %s", str, kw)
			}
		case "format":
			if str, ok := v.(string); ok {
				if err := checkFormat(kw.(string), str); err != nil {
					fail("%v", err)
				}
			}
		default:
			if !slices.Contains(annotations, k) {
				fail("the schema uses %q, which the test validator does not check", k)
			}
		}
	}
	d.checkObject(s, v, ptr, errs)
}

// checkObject applies properties, required and additionalProperties.
func (d *apiDoc) checkObject(s map[string]any, v any, ptr string, errs *[]string) {
	obj, ok := v.(map[string]any)
	if !ok {
		return
	}
	props, _ := s["properties"].(map[string]any)
	req, _ := s["required"].([]any)
	for _, name := range req {
		if _, ok := obj[name.(string)]; !ok {
			*errs = append(*errs, fmt.Sprintf("at %s/%s: the required property is missing", ptr, name))
		}
	}
	names := make([]string, 0, len(obj))
	for name := range obj {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		at := ptr + "/" + strings.ReplaceAll(strings.ReplaceAll(name, "~", "~0"), "/", "~1")
		if ps, ok := props[name]; ok {
			d.check(ps, obj[name], at, errs)
		} else if extra, ok := s["additionalProperties"]; ok {
			if extra == false {
				*errs = append(*errs, fmt.Sprintf("at %s: the property is not documented", at))
			} else {
				d.check(extra, obj[name], at, errs)
			}
		}
	}
}

func hasType(want, v any) bool {
	if list, ok := want.([]any); ok {
		return slices.ContainsFunc(list, func(t any) bool { return hasType(t, v) })
	}
	switch want {
	case "null":
		return v == nil
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "string":
		_, ok := v.(string)
		return ok
	case "number":
		_, ok := v.(json.Number)
		return ok
	case "integer":
		n, ok := v.(json.Number)
		if !ok {
			return false
		}
		r, ok := new(big.Rat).SetString(n.String())
		return ok && r.IsInt()
	case "array":
		_, ok := v.([]any)
		return ok
	case "object":
		_, ok := v.(map[string]any)
		return ok
	}
	return false
}

func typeNames(t any) string {
	if list, ok := t.([]any); ok {
		var s []string
		for _, e := range list {
			s = append(s, fmt.Sprint(e))
		}
		return strings.Join(s, " or ")
	}
	return fmt.Sprint(t)
}

// describeJSON names v's JSON type and, for scalars, its value.
func describeJSON(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case bool:
		return fmt.Sprintf("boolean %v", v)
	case string:
		return fmt.Sprintf("string %q", v)
	case json.Number:
		return "number " + v.String()
	case []any:
		return "array"
	}
	return "object"
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func jsonEqual(a, b any) bool {
	an, aok := a.(json.Number)
	bn, bok := b.(json.Number)
	if aok && bok {
		return inRange("minimum", an, bn) && inRange("maximum", an, bn)
	}
	return jsonText(a) == jsonText(b)
}

func withinBound(kw string, bound any, n int64) bool {
	b, err := bound.(json.Number).Int64()
	if err != nil {
		return false
	}
	if strings.HasPrefix(kw, "min") {
		return n >= b
	}
	return n <= b
}

// inRange reports whether n satisfies the keyword minimum or maximum bound.
func inRange(kw string, bound, n json.Number) bool {
	b, ok1 := new(big.Rat).SetString(bound.String())
	x, ok2 := new(big.Rat).SetString(n.String())
	if !ok1 || !ok2 {
		return false
	}
	if kw == "minimum" {
		return x.Cmp(b) >= 0
	}
	return x.Cmp(b) <= 0
}

// checkFormat checks the formats the document uses. date-time is RFC 3339
// in UTC, as the API's conventions say.
func checkFormat(format, s string) error {
	switch format {
	case "date-time":
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return fmt.Errorf("%q is not an RFC 3339 time", s)
		}
		if !strings.HasSuffix(s, "Z") || t.Location() != time.UTC {
			return fmt.Errorf("%q is not in UTC (Z)", s)
		}
	case "email":
		if a, err := mail.ParseAddress(s); err != nil || a.Address != s {
			return fmt.Errorf("%q is not an email address", s)
		}
	default:
		return fmt.Errorf("format %q is not one the test validator checks", format)
	}
	return nil
}

func TestValidate(t *testing.T) {
	t.Parallel()
	d := &apiDoc{root: mustDecodeObject(t, `{"components": {"schemas": {
		"Money": {"type": "object", "required": ["amount", "currency"], "additionalProperties": false,
			"properties": {"amount": {"type": "integer"}, "currency": {"type": "string", "pattern": "^[A-Z]{3}$"}}},
		"Thing": {"type": "object", "required": ["id", "price", "tags", "next"], "additionalProperties": false,
			"properties": {
				"id": {"type": "string", "minLength": 1},
				"kind": {"enum": ["a", "b"]},
				"price": {"$ref": "#/components/schemas/Money"},
				"tags": {"type": "array", "items": {"type": "string"}, "maxItems": 2},
				"next": {"type": ["string", "null"]},
				"at": {"type": "string", "format": "date-time"},
				"count": {"type": "integer", "minimum": 1, "maximum": 200}
			}}}}}`)}
	schema := map[string]any{"$ref": "#/components/schemas/Thing"}
	valid := `{"id": "x", "kind": "a", "price": {"amount": 23900, "currency": "SEK"}, "tags": ["p"],
		"next": null, "at": "2026-11-23T09:00:00Z", "count": 200}`

	t.Run("Valid", func(t *testing.T) {
		for _, body := range []string{
			valid,
			`{"id": "x", "price": {"amount": -5, "currency": "EUR"}, "tags": [], "next": "abc"}`,
			`{"id": "x", "price": {"amount": 1.0e2, "currency": "EUR"}, "tags": [], "next": null, "at": "2026-11-23T09:00:00.5Z"}`,
		} {
			if err := d.validate(schema, mustDecode(t, body)); err != nil {
				t.Errorf("validate(%s) = %v, want nil", body, err)
			}
		}
	})

	for _, tt := range []struct {
		name, body, want string
	}{
		{"ExtraProperty", `{"id": "x", "price": {"amount": 1, "currency": "SEK", "vat": 2}, "tags": [], "next": null}`,
			"at /price/vat: the property is not documented"},
		{"MissingRequired", `{"id": "x", "price": {"amount": 1, "currency": "SEK"}, "tags": []}`,
			"at /next: the required property is missing"},
		{"WrongType", `{"id": 7, "price": {"amount": 1, "currency": "SEK"}, "tags": [], "next": null}`,
			"at /id: got number 7, want string"},
		{"FloatForInteger", `{"id": "x", "price": {"amount": 239.5, "currency": "SEK"}, "tags": [], "next": null}`,
			"at /price/amount: got number 239.5, want integer"},
		{"NullNotAllowed", `{"id": null, "price": {"amount": 1, "currency": "SEK"}, "tags": [], "next": null}`,
			"at /id: got null, want string"},
		{"TypeArray", `{"id": "x", "price": {"amount": 1, "currency": "SEK"}, "tags": [], "next": 5}`,
			"at /next: got number 5, want string or null"},
		{"NotInEnum", `{"id": "x", "kind": "c", "price": {"amount": 1, "currency": "SEK"}, "tags": [], "next": null}`,
			`at /kind: string "c" is not one of ["a","b"]`},
		{"ItemOfWrongType", `{"id": "x", "price": {"amount": 1, "currency": "SEK"}, "tags": ["a", 2], "next": null}`,
			"at /tags/1: got number 2, want string"},
		{"TooManyItems", `{"id": "x", "price": {"amount": 1, "currency": "SEK"}, "tags": ["a", "b", "c"], "next": null}`,
			"at /tags: 3 items, maxItems is 2"},
		{"PatternMismatch", `{"id": "x", "price": {"amount": 1, "currency": "sek"}, "tags": [], "next": null}`,
			`at /price/currency: "sek" does not match ^[A-Z]{3}$`},
		{"TooShort", `{"id": "", "price": {"amount": 1, "currency": "SEK"}, "tags": [], "next": null}`,
			`at /id: "" has 0 characters, minLength is 1`},
		{"NotATime", `{"id": "x", "price": {"amount": 1, "currency": "SEK"}, "tags": [], "next": null, "at": "2026-11-23"}`,
			`at /at: "2026-11-23" is not an RFC 3339 time`},
		{"NotUTC", `{"id": "x", "price": {"amount": 1, "currency": "SEK"}, "tags": [], "next": null, "at": "2026-11-23T10:00:00+01:00"}`,
			`at /at: "2026-11-23T10:00:00+01:00" is not in UTC`},
		{"BelowMinimum", `{"id": "x", "price": {"amount": 1, "currency": "SEK"}, "tags": [], "next": null, "count": 0}`,
			"at /count: 0 is out of range, minimum is 1"},
		{"AboveMaximum", `{"id": "x", "price": {"amount": 1, "currency": "SEK"}, "tags": [], "next": null, "count": 201}`,
			"at /count: 201 is out of range, maximum is 200"},
		{"NotAnObject", `[]`, "at (root): got array, want object"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := d.validate(schema, mustDecode(t, tt.body))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("validate(%s) = %v, want %q", tt.body, err, tt.want)
			}
		})
	}

	t.Run("UnknownKeyword", func(t *testing.T) {
		err := d.validate(map[string]any{"oneOf": []any{}}, "x")
		if err == nil || !strings.Contains(err.Error(), `"oneOf"`) {
			t.Errorf("validate with oneOf = %v, want it refused", err)
		}
	})
	t.Run("UnresolvedRef", func(t *testing.T) {
		err := d.validate(map[string]any{"$ref": "#/components/schemas/Nope"}, "x")
		if err == nil || !strings.Contains(err.Error(), "does not resolve") {
			t.Errorf("validate = %v, want an unresolved $ref", err)
		}
	})
}

func mustDecode(t testing.TB, s string) any {
	t.Helper()
	v, err := decodeJSON([]byte(s))
	if err != nil {
		t.Fatalf("decode %s: %v", s, err)
	}
	return v
}

func mustDecodeObject(t testing.TB, s string) map[string]any {
	t.Helper()
	obj, ok := mustDecode(t, s).(map[string]any)
	if !ok {
		t.Fatalf("%s is not an object", s)
	}
	return obj
}
