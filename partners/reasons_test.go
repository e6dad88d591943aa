package partners_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/tierlink/tierlink/partners"
	"github.com/tierlink/tierlink/partners/i18n"
)

// Every field reason a person can read has a catalogue key, so it is
// shown in the reader's language: the Go sources are parsed, and each
// Invalid or Ref call must give its reason as a string literal whose
// English text the catalogue holds under "reason."; each R call a
// literal key that both languages have; and no FieldError is built with
// a Reason but no Msg. A new English-only reason fails here.
func TestEveryInvalidReasonIsInTheCatalogue(t *testing.T) {
	root := filepath.Join("..")
	fset := token.NewFileSet()
	calls := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); n == "ent" || n == ".git" || n == "node_modules" || n == "testdata" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		inPartners := f.Name.Name == "partners"
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				name, ok := partnersFunc(n.Fun, inPartners)
				if !ok {
					return true
				}
				pos := fset.Position(n.Pos())
				switch name {
				case "Invalid", "Ref":
					if inPartners && strings.HasSuffix(pos.Filename, "errors.go") {
						return true // the definitions themselves
					}
					calls++
					if len(n.Args) < 2 {
						return true
					}
					lit, ok := stringLit(constValue(n.Args[1]))
					if !ok {
						t.Errorf("%s: %s's reason is not a string literal: give a catalogue message with %sBecause(field, partners.R(key, …))", pos, name, name)
						return true
					}
					if _, ok := partners.ReasonKey(lit); !ok {
						t.Errorf("%s: reason %q has no catalogue key: add a \"reason.…\" message with this English text to both languages", pos, lit)
					}
				case "R":
					calls++
					if len(n.Args) == 0 {
						return true
					}
					lit, ok := stringLit(n.Args[0])
					if !ok {
						if inPartners && strings.HasSuffix(pos.Filename, "errors.go") {
							return true
						}
						t.Errorf("%s: R's key is not a string literal", pos)
						return true
					}
					for _, lang := range i18n.Languages() {
						if !i18n.Has(lang, partners.ReasonPrefix+lit) {
							t.Errorf("%s: %s lacks %q", pos, lang, partners.ReasonPrefix+lit)
						}
					}
				}
			case *ast.CompositeLit:
				if name, ok := partnersFunc(n.Type, inPartners); !ok || name != "FieldError" || inPartners && strings.HasSuffix(fset.Position(n.Pos()).Filename, "/errors.go") {
					return true
				}
				hasReason, hasMsg := false, false
				for _, el := range n.Elts {
					if kv, ok := el.(*ast.KeyValueExpr); ok {
						if id, ok := kv.Key.(*ast.Ident); ok {
							hasReason = hasReason || id.Name == "Reason"
							hasMsg = hasMsg || id.Name == "Msg"
						}
					}
				}
				if hasReason && !hasMsg {
					t.Errorf("%s: a FieldError with a Reason but no Msg: use partners.Because(field, partners.R(key, …))", fset.Position(n.Pos()))
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if calls < 50 {
		t.Fatalf("found only %d reason calls: the scan no longer matches how code gives reasons", calls)
	}
}

// partnersFunc names what e refers to when it is partners.X (or X inside
// package partners).
func partnersFunc(e ast.Expr, inPartners bool) (string, bool) {
	switch e := e.(type) {
	case *ast.SelectorExpr:
		if id, ok := e.X.(*ast.Ident); ok && id.Name == "partners" {
			return e.Sel.Name, true
		}
	case *ast.Ident:
		if inPartners {
			return e.Name, true
		}
	}
	return "", false
}

// constValue is the value of a local constant e names (const why =
// "…"), else e.
func constValue(e ast.Expr) ast.Expr {
	id, ok := e.(*ast.Ident)
	if !ok || id.Obj == nil || id.Obj.Kind != ast.Con {
		return e
	}
	if vs, ok := id.Obj.Decl.(*ast.ValueSpec); ok && len(vs.Values) == 1 {
		return vs.Values[0]
	}
	return e
}

func stringLit(e ast.Expr) (string, bool) {
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(lit.Value)
	return s, err == nil
}

// A reason renders in both languages, the arguments filled in.
func TestReasonsInBothLanguages(t *testing.T) {
	cases := []struct {
		name   string
		err    *partners.Error
		en, zh string
	}{
		{"Literal", partners.Invalid("tier", "applies only to suppliers"), "applies only to suppliers", "仅适用于供应商"},
		{"WithArgs", partners.InvalidBecause("name", partners.R("max_chars", "Max", 200)), "must be at most 200 characters", "最多 200 个字符"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fe := c.err.Fields[0]
			if fe.Reason != c.en {
				t.Errorf("Reason %q, want %q", fe.Reason, c.en)
			}
			if got := fe.Text(i18n.For(i18n.English)); got != c.en {
				t.Errorf("English %q, want %q", got, c.en)
			}
			if got := fe.Text(i18n.For(i18n.Chinese)); got != c.zh {
				t.Errorf("Chinese %q, want %q", got, c.zh)
			}
		})
	}
	type in struct {
		Name string `json:"name" validate:"required,max=3"`
		Kind string `json:"kind" validate:"omitempty,oneof=a b"`
	}
	fs := partners.ErrorFields(partners.Validate(in{Name: "abcd", Kind: "c"}))
	got := map[string]string{}
	for _, f := range fs {
		got[f.Field] = f.Text(i18n.For(i18n.Chinese))
	}
	if got["name"] != "最多 3 个字符" || got["kind"] != "须为以下之一：a, b" {
		t.Errorf("validator reasons in Chinese: %v", got)
	}
}
