package locale

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"text/template"
	"text/template/parse"
)

// TestCatalog checks that every language has the same messages with the
// same placeholders, that every key the pages' templates and kassa's Go code
// name is in the catalog, and that the catalog holds no message nobody uses.
func TestCatalog(t *testing.T) {
	catalogs := map[string]map[string]any{}
	for _, lang := range Supported {
		b, err := fs.ReadFile(messageFS, "messages/"+lang+".json")
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]any{}
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s.json: %v", lang, err)
		}
		catalogs[lang] = m
	}
	en := catalogs[English]

	t.Run("SameKeysAndPlaceholders", func(t *testing.T) {
		for lang, m := range catalogs {
			for key, v := range en {
				w, ok := m[key]
				if !ok {
					t.Errorf("%s.json lacks %q", lang, key)
					continue
				}
				if got, want := placeholders(w), placeholders(v); !slices.Equal(got, want) {
					t.Errorf("%s.json %q has placeholders %v, en.json %v", lang, key, got, want)
				}
			}
			for key := range m {
				if _, ok := en[key]; !ok {
					t.Errorf("%s.json has %q, en.json does not", lang, key)
				}
			}
		}
	})

	used := map[string]string{} // key → where
	templates, err := filepath.Glob("../web/templates/*.html")
	if err != nil || len(templates) == 0 {
		t.Fatalf("no templates in ../web/templates: %v", err)
	}
	// The simulator's pages stand for the processor's, in kassa's words.
	templates = append(templates, "../gateway/simulator/page.html")
	for _, name := range templates {
		set, err := template.ParseFiles(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, tmpl := range set.Templates() {
			if tmpl.Tree != nil {
				templateKeys(tmpl.Tree.Root, func(key string) { used[key] = name })
			}
		}
	}
	goKeys(t, func(key, where string) { used[key] = where })
	if len(used) < 100 {
		t.Fatalf("found %d keys in use; the search is broken", len(used))
	}

	t.Run("UsedKeysExist", func(t *testing.T) {
		for key, where := range used {
			if _, ok := en[key]; !ok {
				t.Errorf("%s uses %q, which the catalogs lack", where, key)
			}
		}
	})
	t.Run("NoUnusedKeys", func(t *testing.T) {
		for key := range en {
			if _, ok := used[key]; !ok {
				t.Errorf("catalog key %q is used nowhere", key)
			}
		}
	})
}

var placeholder = regexp.MustCompile(`\{\{\s*\.(\w+)\s*\}\}`)

// placeholders lists the template fields a message (or its plural forms) uses.
func placeholders(v any) []string {
	var texts []string
	switch v := v.(type) {
	case string:
		texts = []string{v}
	case map[string]any:
		for _, form := range v {
			s, _ := form.(string)
			texts = append(texts, s)
		}
	}
	var names []string
	for _, s := range texts {
		for _, m := range placeholder.FindAllStringSubmatch(s, -1) {
			names = append(names, m[1])
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// templateKeys finds the literal keys of T calls: {{.T "key"}}, {{$.T "key"}}.
func templateKeys(n parse.Node, found func(string)) {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return
		}
		for _, c := range n.Nodes {
			templateKeys(c, found)
		}
	case *parse.ActionNode:
		templateKeys(n.Pipe, found)
	case *parse.IfNode:
		templateKeys(&n.BranchNode, found)
	case *parse.RangeNode:
		templateKeys(&n.BranchNode, found)
	case *parse.WithNode:
		templateKeys(&n.BranchNode, found)
	case *parse.BranchNode:
		templateKeys(n.Pipe, found)
		templateKeys(n.List, found)
		templateKeys(n.ElseList, found)
	case *parse.TemplateNode:
		templateKeys(n.Pipe, found)
	case *parse.PipeNode:
		if n == nil {
			return
		}
		for _, cmd := range n.Cmds {
			templateKeys(cmd, found)
		}
	case *parse.CommandNode:
		if len(n.Args) >= 2 && callsT(n.Args[0]) {
			if s, ok := n.Args[1].(*parse.StringNode); ok {
				found(s.Text)
			}
		}
		for _, a := range n.Args {
			templateKeys(a, found)
		}
	}
}

func callsT(n parse.Node) bool {
	var idents []string
	switch n := n.(type) {
	case *parse.FieldNode:
		idents = n.Ident
	case *parse.VariableNode:
		idents = n.Ident
	case *parse.ChainNode:
		idents = n.Field
	}
	return len(idents) > 0 && idents[len(idents)-1] == "T"
}

// keyFuncs are the calls that take a catalog key, and which of their
// arguments it is: msg("key") and T("key", …) in any package, the domain's
// errors kassa.E(code, "key", …) and kassa.InvalidE(field, "key", …), and
// the catalog file checker's fault(path, sku, field, "key", …). A field
// named Key in a composite literal (kassa.Error, kassa.Problem) names one too.
var keyFuncs = map[string]int{"msg": 0, "T": 0, "E": 1, "InvalidE": 1, "Refuse": 1, "fault": 3}

// goKeys finds the literal keys kassa's Go code names (test files aside),
// in every package of the module.
func goKeys(t *testing.T, found func(key, where string)) {
	var files []string
	err := filepath.WalkDir("..", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && p != ".." {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(p, ".go") && !strings.HasSuffix(p, "_test.go") {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, file := range files {
		f, err := parser.ParseFile(fset, file, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if kv, ok := n.(*ast.KeyValueExpr); ok {
				if id, ok := kv.Key.(*ast.Ident); ok && id.Name == "Key" {
					if lit, ok := kv.Value.(*ast.BasicLit); ok && lit.Kind == token.STRING {
						key, _ := strconv.Unquote(lit.Value)
						found(key, fset.Position(lit.Pos()).String())
					}
				}
				return true
			}
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			var name string
			switch fn := call.Fun.(type) {
			case *ast.Ident:
				name = fn.Name
			case *ast.SelectorExpr:
				name = fn.Sel.Name
			}
			i, ok := keyFuncs[name]
			if !ok || len(call.Args) <= i {
				return true
			}
			lit, ok := call.Args[i].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				if name == "msg" {
					t.Errorf("%s: msg takes a literal key", fset.Position(call.Pos()))
				}
				return true
			}
			key, err := strconv.Unquote(lit.Value)
			if err != nil {
				t.Fatal(err)
			}
			found(key, fset.Position(lit.Pos()).String())
			return true
		})
	}
}
