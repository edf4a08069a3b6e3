// Package people reads the CSV file of people an admin imports into their
// tenant (SPEC §7): a header row naming the columns email, name, type and
// role (email and name required; any order, any case), then a person per
// line. Type and role default to member and user.
//
// Spreadsheets write CSV in several ways, and each is read: a UTF-8 byte
// order mark (Excel's "CSV UTF-8") is skipped, and a header with semicolons
// but no commas (Excel where the decimal mark is a comma, as in Sweden and
// Germany) makes semicolons the separator. Every fault of the file is
// reported at once, each on its line with its field, so that the preview
// shows every line's outcome before anything is written.
package people

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/kassa-billing/kassa"
)

// MaxLines is the most people one file may hold; a bigger file is refused
// whole (split it). One import is one transaction, and ten thousand people
// take it about as long as a few seconds of other writes.
const MaxLines = 10000

// Columns are the header's names, in the order Write writes them.
var Columns = []string{"email", "name", "type", "role"}

// Parse reads a file of people. A fault of the whole file (not UTF-8 text, not
// CSV, a header without email or name, an unknown column, no people, too
// many) is an Invalid *kassa.Error with its Problems; a line at fault is
// returned with its Problems and Outcome kassa.ImportRefused, the others
// with their User (kassa.ImportProblems collects the faults). An email
// written twice is refused on its later line.
func Parse(data []byte) ([]*kassa.ImportLine, error) {
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	if !utf8.Valid(data) || bytes.IndexByte(data, 0) >= 0 { // storage takes no U+0000
		return nil, refused(kassa.Problem{Key: "error.import.encoding"})
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1 // a line with too few or many fields is that line's fault
	r.TrimLeadingSpace = true
	if header, _, _ := bytes.Cut(data, []byte("\n")); bytes.ContainsRune(header, ';') && !bytes.ContainsRune(header, ',') {
		r.Comma = ';'
	}
	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		return nil, refused(kassa.Problem{Key: "error.import.empty"})
	} else if err != nil {
		return nil, refused(csvProblem(err))
	}
	cols, problems := readHeader(header)
	if len(problems) > 0 {
		return nil, refused(problems...)
	}

	var lines []*kassa.ImportLine
	seen := map[string]int{} // email → the line it was first on
	for {
		record, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, refused(csvProblem(err))
		}
		if len(lines) == MaxLines {
			return nil, refused(kassa.Problem{Key: "error.import.too_many", Args: []any{"Max", MaxLines}})
		}
		n, _ := r.FieldPos(0)
		l := readLine(n, cols, record)
		if l.User != nil {
			if first, ok := seen[l.User.Email]; ok {
				l.Refuse("email", "error.import.duplicate", "Email", l.User.Email, "First", first)
			} else {
				seen[l.User.Email] = l.Line
			}
		}
		lines = append(lines, l)
	}
	if len(lines) == 0 {
		return nil, refused(kassa.Problem{Key: "error.import.empty"})
	}
	return lines, nil
}

// readHeader returns the index of each column by name (-1 when absent), or
// the header's faults.
func readHeader(header []string) (map[string]int, []kassa.Problem) {
	cols := map[string]int{}
	for _, c := range Columns {
		cols[c] = -1
	}
	var problems []kassa.Problem
	for i, h := range header {
		name := strings.ToLower(strings.TrimSpace(h))
		at, known := cols[name]
		switch {
		case !known:
			problems = append(problems, kassa.Problem{Line: 1, Field: h, Key: "error.import.column_unknown",
				Args: []any{"Column", h, "Columns", strings.Join(Columns, ", ")}})
		case at >= 0:
			problems = append(problems, kassa.Problem{Line: 1, Field: name, Key: "error.import.column_twice",
				Args: []any{"Column", name}})
		default:
			cols[name] = i
		}
	}
	for _, c := range []string{"email", "name"} {
		if cols[c] < 0 {
			problems = append(problems, kassa.Problem{Line: 1, Field: c, Key: "error.import.column_missing",
				Args: []any{"Column", c}})
		}
	}
	return cols, problems
}

// readLine returns the person line n writes, checked alone.
func readLine(n int, cols map[string]int, record []string) *kassa.ImportLine {
	get := func(c string) string {
		if i := cols[c]; i >= 0 && i < len(record) {
			return strings.TrimSpace(record[i])
		}
		return ""
	}
	l := &kassa.ImportLine{Line: n, Name: get("name"), Email: get("email"), Type: get("type"), Role: get("role")}
	if want := len(cols) - countAbsent(cols); len(record) != want {
		l.Refuse("", "error.import.fields", "Want", want, "Got", len(record))
		return l
	}
	u, err := kassa.NewPerson(l.Name, l.Email, kassa.UserType(strings.ToLower(l.Type)), kassa.Role(strings.ToLower(l.Role)))
	if e, ok := errors.AsType[*kassa.Error](err); ok {
		l.Refuse(e.Field, e.Key, e.Args...)
		return l
	}
	l.User, l.Outcome = u, kassa.ImportAdd
	return l
}

func countAbsent(cols map[string]int) int {
	n := 0
	for _, i := range cols {
		if i < 0 {
			n++
		}
	}
	return n
}

// csvProblem is the fault the CSV reader found, on its line and column.
func csvProblem(err error) kassa.Problem {
	p := kassa.Problem{Key: "error.import.csv", Args: []any{"Reason", err.Error()}}
	if pe, ok := errors.AsType[*csv.ParseError](err); ok {
		p.Line, p.Column = pe.Line, pe.Column
		p.Args = []any{"Reason", pe.Err.Error()}
	}
	return p
}

func refused(problems ...kassa.Problem) error {
	return &kassa.Error{Code: kassa.Invalid, Key: "error.import.file", Problems: problems}
}

// Write writes users as a file Parse reads back.
func Write(w io.Writer, users []*kassa.User) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(Columns); err != nil {
		return err
	}
	for _, u := range users {
		if err := cw.Write([]string{u.Email, u.Name, string(u.Type), string(u.Role)}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
