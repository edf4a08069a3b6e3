package api

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// pathItemMethods are the methods an OpenAPI Path Item may hold.
var pathItemMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// docOperation is one operation of the document.
type docOperation struct {
	method, path string // "GET", "/api/v1/me"
	op           map[string]any
}

func (d *apiDoc) operations() []docOperation {
	var ops []docOperation
	paths, _ := d.root["paths"].(map[string]any)
	for path, item := range paths {
		for _, m := range pathItemMethods {
			if op, ok := item.(map[string]any)[m].(map[string]any); ok {
				ops = append(ops, docOperation{strings.ToUpper(m), path, op})
			}
		}
	}
	slices.SortFunc(ops, func(a, b docOperation) int {
		return strings.Compare(a.path+" "+a.method, b.path+" "+b.method)
	})
	return ops
}

// newDocServer is the API without a database: enough for its route table
// and for answers given before any storage is asked.
func newDocServer() *Server {
	return New(Config{Log: slog.New(slog.DiscardHandler)})
}

func TestOpenAPIDocument(t *testing.T) {
	t.Parallel()
	d := mustOpenAPIDoc(t)
	if v := d.root["openapi"]; v != "3.1.0" {
		t.Errorf("openapi = %v, want 3.1.0", v)
	}
	info, _ := d.root["info"].(map[string]any)
	if info["title"] != "kassa" || info["version"] == "" || info["version"] == nil {
		t.Errorf("info = title %v, version %v", info["title"], info["version"])
	}
}

func TestOpenAPIMatchesRouteTable(t *testing.T) {
	t.Parallel()
	d := mustOpenAPIDoc(t)
	documented := map[string]map[string]any{}
	for _, o := range d.operations() {
		documented[o.method+" "+o.path] = o.op
	}
	routes := map[string]route{}
	for _, rt := range newDocServer().routes() {
		key := rt.method + " " + rt.path
		routes[key] = rt
		op, ok := documented[key]
		if !ok {
			t.Errorf("route %s is not documented in openapi.json", key)
			continue
		}
		security, overridden := op["security"].([]any)
		if rt.public && (!overridden || len(security) != 0) {
			t.Errorf("%s is public; its operation must say security: []", key)
		}
		if !rt.public && overridden && len(security) == 0 {
			t.Errorf("%s needs a session; its operation must not say security: []", key)
		}
		if responses, _ := op["responses"].(map[string]any); !rt.public && responses["401"] == nil {
			t.Errorf("%s needs a session but does not document 401", key)
		}
	}
	for key := range documented {
		if _, ok := routes[key]; !ok {
			t.Errorf("openapi.json documents %s, which is not in the route table", key)
		}
	}
}

var pathParam = regexp.MustCompile(`\{([^}]+)\}`)

func TestOpenAPIOperations(t *testing.T) {
	t.Parallel()
	d := mustOpenAPIDoc(t)
	ids := map[string]string{}
	for _, o := range d.operations() {
		key := o.method + " " + o.path
		id, _ := o.op["operationId"].(string)
		if id == "" {
			t.Errorf("%s has no operationId", key)
		} else if other, dup := ids[id]; dup {
			t.Errorf("%s and %s share the operationId %s", other, key, id)
		}
		ids[id] = key
		if s, _ := o.op["summary"].(string); s == "" {
			t.Errorf("%s has no summary", key)
		}
		responses, _ := o.op["responses"].(map[string]any)
		if len(responses) == 0 {
			t.Errorf("%s documents no responses", key)
		}
		for _, status := range []string{"405", "500"} {
			if responses[status] == nil {
				t.Errorf("%s does not document %s", key, status)
			}
		}
		for status, r := range responses {
			checkDocumentedStatus(t, d, key, status, r)
		}
		checkPathParameters(t, d, key, o.path, o.op)
	}
}

// checkDocumentedStatus checks one documented response: a real status
// whose error answers, if any, have a code in the table of errors.go.
func checkDocumentedStatus(t *testing.T, d *apiDoc, key, status string, r any) {
	t.Helper()
	n, err := strconv.Atoi(status)
	if status == "default" {
		return
	}
	if err != nil || n < 100 || n > 599 {
		t.Errorf("%s documents status %q", key, status)
		return
	}
	resp, err := d.deref(r)
	if err != nil {
		t.Errorf("%s %s: %v", key, status, err)
		return
	}
	if desc, _ := resp.(map[string]any)["description"].(string); desc == "" {
		t.Errorf("%s %s has no description", key, status)
	}
	if n < 400 {
		return
	}
	codes := 0
	for _, s := range statuses {
		if s == n {
			codes++
		}
	}
	if codes == 0 {
		t.Errorf("%s documents %d, which no error code answers with", key, n)
	}
}

// checkPathParameters checks that the {parameters} of the path template
// and the operation's path parameters are the same.
func checkPathParameters(t *testing.T, d *apiDoc, key, path string, op map[string]any) {
	t.Helper()
	var inPath, declared []string
	for _, m := range pathParam.FindAllStringSubmatch(path, -1) {
		inPath = append(inPath, m[1])
	}
	params, _ := op["parameters"].([]any)
	for _, p := range params {
		p, err := d.deref(p)
		if err != nil {
			t.Errorf("%s: %v", key, err)
			continue
		}
		pm := p.(map[string]any)
		if pm["in"] == "path" {
			declared = append(declared, fmt.Sprint(pm["name"]))
			if pm["required"] != true {
				t.Errorf("%s: path parameter %v must be required", key, pm["name"])
			}
		}
	}
	slices.Sort(inPath)
	slices.Sort(declared)
	if !slices.Equal(inPath, declared) {
		t.Errorf("%s: the path has parameters %q, the operation declares %q", key, inPath, declared)
	}
}

func TestOpenAPIRefsResolve(t *testing.T) {
	t.Parallel()
	d := mustOpenAPIDoc(t)
	walkJSON(d.root, "", func(ptr string, v map[string]any) {
		if ref, ok := v["$ref"]; ok {
			s, _ := ref.(string)
			if _, err := d.resolve(s); err != nil {
				t.Errorf("at %s: %v", ptr, err)
			}
		}
	})
}

// TestOpenAPISchemas checks that every schema of the document uses only
// keywords the test validator checks, and that every example validates.
func TestOpenAPISchemas(t *testing.T) {
	t.Parallel()
	d := mustOpenAPIDoc(t)
	schemas, _ := d.root["components"].(map[string]any)["schemas"].(map[string]any)
	for name, s := range schemas {
		for _, e := range lintSchema(s, "#/components/schemas/"+name) {
			t.Error(e)
		}
	}
	walkJSON(d.root, "", func(ptr string, v map[string]any) {
		s, ok := v["schema"]
		if !ok {
			return
		}
		for _, e := range lintSchema(s, ptr+"/schema") {
			t.Error(e)
		}
		if ex, ok := v["example"]; ok {
			if err := d.validate(s, ex); err != nil {
				t.Errorf("the example at %s does not fit its schema: %v", ptr, err)
			}
		}
	})

	t.Run("ErrorCodesAreTheTable", func(t *testing.T) {
		desc, _ := d.root["info"].(map[string]any)["description"].(string)
		enum, _ := schemas["ErrorCode"].(map[string]any)["enum"].([]any)
		var documented, table []string
		for _, c := range enum {
			documented = append(documented, fmt.Sprint(c))
		}
		for code, status := range statuses {
			table = append(table, string(code))
			if row := fmt.Sprintf("| `%s` | %d |", code, status); !strings.Contains(desc, row) {
				t.Errorf("info.description lacks the row %q", row)
			}
		}
		slices.Sort(documented)
		slices.Sort(table)
		if !slices.Equal(documented, table) {
			t.Errorf("ErrorCode is %q, the table of errors.go has %q", documented, table)
		}
	})
}

// lintSchema reports what in schema the validator would not check as the
// document means it: unknown keywords, types and formats, patterns that do
// not compile, keywords of the wrong JSON type. It does not follow $ref.
func lintSchema(schema any, ptr string) []string {
	if _, ok := schema.(bool); ok {
		return nil
	}
	s, ok := schema.(map[string]any)
	if !ok {
		return []string{ptr + ": a schema must be an object or a boolean"}
	}
	var errs []string
	bad := func(at, format string, args ...any) {
		errs = append(errs, at+": "+fmt.Sprintf(format, args...))
	}
	for k, kw := range s {
		at := ptr + "/" + k
		switch k {
		case "properties":
			props, ok := kw.(map[string]any)
			if !ok {
				bad(at, "must be an object")
			}
			for name, p := range props {
				errs = append(errs, lintSchema(p, at+"/"+name)...)
			}
		case "items", "additionalProperties":
			errs = append(errs, lintSchema(kw, at)...)
		case "type":
			names, ok := kw.([]any)
			if !ok {
				names = []any{kw}
			}
			for _, n := range names {
				if !slices.Contains([]any{"null", "boolean", "string", "number", "integer", "array", "object"}, n) {
					bad(at, "unknown type %v", n)
				}
			}
		case "enum", "required":
			if _, ok := kw.([]any); !ok {
				bad(at, "must be an array")
			}
		case "const":
		case "minimum", "maximum", "minItems", "maxItems", "minLength", "maxLength":
			if _, ok := kw.(json.Number); !ok {
				bad(at, "must be a number")
			}
		case "pattern":
			if p, ok := kw.(string); !ok {
				bad(at, "must be a string")
			} else if _, err := regexp.Compile(p); err != nil {
				bad(at, "%v", err)
			}
		case "format":
			if f, _ := kw.(string); f != "date-time" && f != "email" {
				bad(at, "format %v is not one the test validator checks", kw)
			}
		case "$ref":
			if r, _ := kw.(string); !strings.HasPrefix(r, "#/") {
				bad(at, "only local references are checked")
			}
		default:
			if !slices.Contains(annotations, k) {
				bad(at, "the test validator does not check %q", k)
			}
		}
	}
	slices.Sort(errs)
	return errs
}

// walkJSON calls f with every object within v and its JSON pointer.
func walkJSON(v any, ptr string, f func(ptr string, obj map[string]any)) {
	switch v := v.(type) {
	case map[string]any:
		f(ptr, v)
		for k, e := range v {
			walkJSON(e, ptr+"/"+strings.ReplaceAll(strings.ReplaceAll(k, "~", "~0"), "/", "~1"), f)
		}
	case []any:
		for i, e := range v {
			walkJSON(e, ptr+"/"+strconv.Itoa(i), f)
		}
	}
}

// TestOpenAPIDescribesAnswers holds answers the server gives without a
// database to the document.
func TestOpenAPIDescribesAnswers(t *testing.T) {
	t.Parallel()
	s := newDocServer()
	for _, tt := range []struct {
		name, method, path, body string
		status                   int
	}{
		{"Document", "GET", "/api/v1/openapi.json", "", 200},
		{"NotSignedIn", "GET", "/api/v1/me", "", 401},
		{"LogoutNotSignedIn", "POST", "/api/v1/logout", "", 401},
		{"UsersNotSignedIn", "GET", "/api/v1/users", "", 401},
		{"ProductsNotSignedIn", "GET", "/api/v1/products", "", 401},
		{"WrongMethod", "DELETE", "/api/v1/me", "", 405},
		{"DocumentWrongMethod", "POST", "/api/v1/openapi.json", "", 405},
		{"MalformedLogin", "POST", "/api/v1/login", `{"email":`, 400},
		{"UnknownLoginField", "POST", "/api/v1/login", `{"email":"a@b.c","password":"x","pasword":"y"}`, 422},
		{"LoginFieldOfWrongType", "POST", "/api/v1/login", `{"email":5}`, 422},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.path, strings.NewReader(tt.body)))
			if rec.Code != tt.status {
				t.Fatalf("%s %s = %d %s, want %d", tt.method, tt.path, rec.Code, rec.Body, tt.status)
			}
			if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type = %q", ct)
			}
			checkResponse(t, tt.method, tt.path, rec.Code, rec.Body.Bytes())
		})
	}

	t.Run("ServesTheEmbeddedDocument", func(t *testing.T) {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/openapi.json", nil))
		if rec.Body.String() != string(openAPIDocument) {
			t.Errorf("GET /api/v1/openapi.json is not api/openapi.json")
		}
	})
}

func TestCheckResponse(t *testing.T) {
	t.Parallel()
	d := mustOpenAPIDoc(t)
	me := `{"id": "usr_1", "name": "Erik Johansson", "email": "erik@nordvik.example", "type": "member",
		"status": "active", "role": "user",
		"tenant": {"id": "ten_1", "name": "Nordvik AB", "country": "SE", "currency": "SEK", "locale": "sv"}}`

	t.Run("Valid", func(t *testing.T) {
		for _, tt := range []struct {
			method, path string
			status       int
			body         string
		}{
			{"GET", "/api/v1/me", 200, me},
			{"HEAD", "/api/v1/me", 200, ""},
			{"POST", "/api/v1/login", 200, `{"token": "t", "user": ` + me + `}`},
			{"POST", "/api/v1/logout", 204, ""},
			{"GET", "/api/v1/users?limit=1", 200, `{"data": [], "next_cursor": null}`},
			{"GET", "/api/v1/users", 422, `{"error": {"code": "invalid", "message": "m", "field": "limit"}}`},
			{"GET", "/api/v1/products", 401, `{"error": {"code": "unauthorized", "message": "Sign in first."}}`},
		} {
			if err := d.checkResponse(tt.method, tt.path, tt.status, []byte(tt.body)); err != nil {
				t.Errorf("checkResponse(%s %s %d) = %v", tt.method, tt.path, tt.status, err)
			}
		}
	})

	for _, tt := range []struct {
		name, method, path string
		status             int
		body, want         string
	}{
		{"ExtraProperty", "GET", "/api/v1/me", 200, strings.Replace(me, `"locale"`, `"vat": 25, "locale"`, 1),
			"at /tenant/vat: the property is not documented"},
		{"MissingRequired", "GET", "/api/v1/me", 200, strings.Replace(me, `"role": "user",`, "", 1),
			"at /role: the required property is missing"},
		{"WrongType", "GET", "/api/v1/me", 200, strings.Replace(me, `"name": "Nordvik AB"`, `"name": 5`, 1),
			"at /tenant/name: got number 5, want string"},
		{"NotInEnum", "GET", "/api/v1/me", 200, strings.Replace(me, `"role": "user"`, `"role": "owner"`, 1),
			`at /role: string "owner" is not one of`},
		{"UndocumentedStatus", "GET", "/api/v1/me", 404, `{"error": {"code": "not_found", "message": "m"}}`,
			"does not document status 404"},
		{"UndocumentedRoute", "GET", "/api/v1/nothing", 404, `{}`, "no operation GET /api/v1/nothing"},
		{"UndocumentedMethod", "PUT", "/api/v1/me", 200, `{}`, "no operation PUT /api/v1/me"},
		{"NotAllowedUndocumented", "PUT", "/api/v1/nothing", 405, `{}`, "no operation PUT /api/v1/nothing"},
		{"NotAllowedNotAnError", "PUT", "/api/v1/me", 405, `{}`, "at /error: the required property is missing"},
		{"BodyWhereNoneIsDocumented", "POST", "/api/v1/logout", 204, `{}`, "documents no body"},
		{"NotJSON", "GET", "/api/v1/me", 200, `<html>`, "not JSON"},
		{"TwoValues", "GET", "/api/v1/me", 200, me + me, "not JSON"},
		{"CodeOfAnotherStatus", "GET", "/api/v1/users", 422, `{"error": {"code": "bad_request", "message": "m"}}`,
			"at /error/code: bad_request is answered with 400, not 422"},
		{"UnknownCode", "GET", "/api/v1/users", 422, `{"error": {"code": "oops", "message": "m"}}`,
			`at /error/code: string "oops" is not one of`},
		{"ErrorWithoutMessage", "GET", "/api/v1/me", 401, `{"error": {"code": "unauthorized"}}`,
			"at /error/message: the required property is missing"},
		{"CursorOfWrongType", "GET", "/api/v1/users", 200, `{"data": [], "next_cursor": 3}`,
			"at /next_cursor: got number 3, want string or null"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := d.checkResponse(tt.method, tt.path, tt.status, []byte(tt.body))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("checkResponse(%s %s %d, %.60s) = %v, want %q", tt.method, tt.path, tt.status, tt.body, err, tt.want)
			}
		})
	}
}

func TestMatchPath(t *testing.T) {
	t.Parallel()
	d := &apiDoc{root: mustDecodeObject(t, `{"paths": {
		"/api/v1/things/{id}": {"get": {"operationId": "getThing"}},
		"/api/v1/things/new": {"get": {"operationId": "newThing"}},
		"/api/v1/things/{id}/parts": {"get": {"operationId": "getParts"}}}}`)}
	for _, tt := range []struct{ path, want string }{
		{"/api/v1/things/thg_1", "getThing"},
		{"/api/v1/things/new", "newThing"},
		{"/api/v1/things/thg_1/parts", "getParts"},
		{"/api/v1/things/", ""},
		{"/api/v1/things", ""},
		{"/api/v1/things/a/b", ""},
	} {
		op, _ := d.operation("GET", tt.path)
		if got, _ := op["operationId"].(string); got != tt.want {
			t.Errorf("operation(GET %s) = %q, want %q", tt.path, got, tt.want)
		}
	}
}
