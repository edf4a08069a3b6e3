package people

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/locale"
)

func TestParse(t *testing.T) {
	for _, tt := range []struct {
		name, in string
		want     []string // each line: "line email name type role outcome" or "line refused field…"
	}{
		{"Defaults", "email,name\nAnna@Nordvik.example, Anna Lind \n",
			[]string{"2 anna@nordvik.example Anna Lind member user add"}},
		{"AnyOrderAndCase", "Role,TYPE,Name,Email\nAdmin,Guest,Olof,olof@partner.example\n",
			[]string{"2 olof@partner.example Olof guest admin add"}},
		{"QuotedAndBlankLines", "email,name\n\n\"x@nordvik.example\",\"Lind, Anna\"\n\ny@nordvik.example,\"Two\nLines\"\nz@nordvik.example,Z\n",
			[]string{"3 x@nordvik.example Lind, Anna member user add", "5 y@nordvik.example Two\nLines member user add",
				"7 z@nordvik.example Z member user add"}},
		{"Semicolons", "\uFEFFemail;name\r\nå@nordvik.example;Åsa\r\n",
			[]string{"2 å@nordvik.example Åsa member user add"}},
		{"CommaInAHeaderWithSemicolonsStaysComma", "email,name;x\n", nil},
		{"LinesAtFault", "email,name,type,role\nbad,B,,\nc@x.example,,,\nd@x.example,D,owner,\ne@x.example,E,,root\nf@x.example,F\nC@x.example,C2,,\n",
			[]string{"2 refused email", "3 refused name", "4 refused type", "5 refused role", "6 refused ",
				"7 c@x.example C2 member user add"}},
		{"DuplicateOnTheLaterLine", "email,name\na@x.example,A\nA@X.example,A again\n",
			[]string{"2 a@x.example A member user add", "3 refused email"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			lines, err := Parse([]byte(tt.in))
			if tt.want == nil {
				if kassa.ErrorCode(err) != kassa.Invalid {
					t.Fatalf("Parse(%q) = %v, want a refused file", tt.in, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(%q): %v %v", tt.in, err, locale.In("en").Problems(err))
			}
			var got []string
			for _, l := range lines {
				if l.Outcome == kassa.ImportRefused {
					var fields []string
					for _, p := range l.Problems {
						fields = append(fields, p.Field)
					}
					got = append(got, fmt.Sprintf("%d refused %s", l.Line, strings.Join(fields, ",")))
					continue
				}
				u := l.User
				got = append(got, fmt.Sprintf("%d %s %s %s %s %s", l.Line, u.Email, u.Name, u.Type, u.Role, l.Outcome))
			}
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("Parse(%q) =\n%q\nwant\n%q", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseRefusesTheFile(t *testing.T) {
	for _, tt := range []struct{ name, in, want string }{
		{"Empty", "", "holds nobody"},
		{"HeaderOnly", "email,name\n", "holds nobody"},
		{"NotUTF8", "email,name\nx@x.example,\xe5sa\n", "UTF-8"},
		{"NUL", "email,name\nx@x.example,X\x00\n", "UTF-8"},
		{"UnknownColumn", "email,name,phone\n", `line 1: unknown column "phone"`},
		{"MissingColumn", "email,type\n", "line 1: the header has no column name"},
		{"ColumnTwice", "email,name,Email\n", "line 1: the column email is in the header twice"},
		{"BadQuote", "email,name\nx@x.example,\"X\n", "not valid CSV"},
		{"TooMany", "email,name\n" + strings.Repeat("x@x.example,X\n", MaxLines+1), "more than 10000"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.in))
			got := strings.Join(locale.In("en").Problems(err), "\n")
			if kassa.ErrorCode(err) != kassa.Invalid || !strings.Contains(got, tt.want) {
				t.Errorf("Parse = %v %q, want a refusal saying %q", err, got, tt.want)
			}
		})
	}
}

func TestWriteIsReadBack(t *testing.T) {
	users := []*kassa.User{
		{Email: "anna@nordvik.example", Name: `Anna "Annie" Lind, Jr.`, Type: kassa.Member, Role: kassa.RoleAdmin},
		{Email: "olof@partner.example", Name: "Olof\nBerg", Type: kassa.Guest, Role: kassa.RoleUser},
	}
	var buf bytes.Buffer
	if err := Write(&buf, users); err != nil {
		t.Fatal(err)
	}
	lines, err := Parse(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range lines {
		if u := users[i]; l.User == nil || *l.User != (kassa.User{Email: u.Email, Name: u.Name, Type: u.Type, Role: u.Role, Status: kassa.Active}) {
			t.Errorf("line %d = %+v, want %+v", l.Line, l.User, u)
		}
	}
}

// FuzzParse: whatever the file, Parse refuses it whole or returns lines
// in order, each either a checked user or refused with problems on its
// own line; every problem reads in each language.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"email,name\na@x.example,A\n", "email;name;type;role\na@x.example;A;guest;admin\n",
		"\uFEFFName,Email\n\"B, b\",b@x.example\n", "email,name\n\"x\n", "email\n", "", "email,name\na@x.example,A\nA@x.example,B\n",
		"email,name,type\nbad,,owner\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		lines, err := Parse(in)
		if err != nil {
			if kassa.ErrorCode(err) != kassa.Invalid || len(locale.In("sv").Problems(err)) == 0 {
				t.Fatalf("Parse(%q) = %v, want Invalid with problems", in, err)
			}
			return
		}
		if !utf8.Valid(in) || len(lines) == 0 || len(lines) > MaxLines {
			t.Fatalf("Parse(%q) accepted %d lines", in, len(lines))
		}
		last := 1
		for _, l := range lines {
			if l.Line <= last {
				t.Fatalf("line %d after %d", l.Line, last)
			}
			last = l.Line
			switch {
			case l.Outcome == kassa.ImportAdd && l.User != nil && len(l.Problems) == 0:
				if _, err := kassa.NewPerson(l.User.Name, l.User.Email, l.User.Type, l.User.Role); err != nil {
					t.Fatalf("line %d: %+v is no valid person: %v", l.Line, l.User, err)
				}
			case l.Outcome == kassa.ImportRefused && l.User == nil && len(l.Problems) > 0:
				for _, p := range l.Problems {
					if p.Line != l.Line || locale.In("de").Problem(p) == "" {
						t.Fatalf("line %d: problem %+v", l.Line, p)
					}
				}
			default:
				t.Fatalf("line %d: %+v", l.Line, l)
			}
		}
	})
}
