package web

import (
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/people"
)

// importPath is Admin › People › Import: a CSV file chosen or pasted is
// previewed first, every line with its outcome, and nothing is written
// until the admin imports what the preview showed.
const importPath = peoplePath + "/import"

// maxImportForm bounds the import form: a file of people.MaxLines long
// lines, sent as a file and pasted both.
const maxImportForm = 20 << 20

// ImportPage is the import form and, once a file is sent, its preview: the
// counts, each line's outcome, and the file in the text box where a line
// at fault can be mended and previewed again.
type ImportPage struct {
	Layout
	CSV       Field
	FileError string   // the file as a whole is at fault
	Problems  []string // of the file as a whole
	Previewed bool
	Lines     []ImportRow
	Added     int
	Existing  int
	Refused   int
}

func (*ImportPage) template() string { return "import_people.html" }

// ImportRow is a line of the preview.
type ImportRow struct {
	Line        int
	Email, Name string
	Type, Role  string // in words, or as written when at fault
	Outcome     kassa.ImportOutcome
	OutcomeText string
	Problems    []string
}

// CanImport reports whether the previewed file may be imported: it has no
// faults and adds someone.
func (p *ImportPage) CanImport() bool {
	return p.Previewed && p.Refused == 0 && p.FileError == "" && p.Added > 0
}

func (s *server) importPage(r *http.Request, csv string) *ImportPage {
	p := &ImportPage{Layout: s.layout(r, msg("people.import.title"))}
	p.CSV = Field{ID: "import-csv", Name: "csv", Label: p.T("people.import.paste"), Hint: p.T("people.import.paste.hint"),
		Value: csv}
	return p
}

func (s *server) importForm(w http.ResponseWriter, r *http.Request) error {
	return s.render(w, http.StatusOK, s.importPage(r, ""))
}

// importPeople previews the file sent (a file chosen, else the text box),
// or imports it when the preview's Import button sent it; either way a
// file at fault is shown with every line's outcome, and nothing written.
func (s *server) importPeople(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxImportForm)
	if err := r.ParseMultipartForm(maxImportForm); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		return kassa.E(kassa.BadRequest, "error.form.too_large")
	} else if errors.Is(err, http.ErrNotMultipart) {
		if err := r.ParseForm(); err != nil {
			return kassa.E(kassa.BadRequest, "error.form.unreadable")
		}
	}
	data := []byte(r.PostFormValue("csv"))
	if f, _, err := r.FormFile("file"); err == nil {
		defer f.Close()
		b, err := io.ReadAll(f)
		if err != nil {
			return kassa.E(kassa.BadRequest, "error.form.unreadable")
		}
		if len(strings.TrimSpace(string(b))) > 0 {
			data = b
		}
	}
	p := s.importPage(r, strings.ToValidUTF8(string(data), "\uFFFD"))
	p.Previewed = true
	lines, err := people.Parse(data)
	if err != nil {
		p.FileError, p.Problems = p.tr.Error(err), p.tr.Problems(err)
		p.CSV.Error, p.CSV.Autofocus = p.FileError, true
		return s.render(w, http.StatusUnprocessableEntity, p)
	}
	dryRun := r.PostFormValue("action") != "import"
	err = s.db.ImportPeople(r.Context(), lines, dryRun)
	p.preview(lines)
	switch code := kassa.ErrorCode(err); {
	case err == nil && dryRun:
		return s.render(w, http.StatusOK, p)
	case err == nil:
		return seeOther(w, r, peoplePath+"?done=people_imported")
	case code == kassa.Invalid || code == kassa.Conflict:
		p.FileError = p.tr.Error(err)
		return s.render(w, statusOf(code), p)
	default:
		return err
	}
}

// preview fills the preview in from what the import made of each line.
func (p *ImportPage) preview(lines []*kassa.ImportLine) {
	for _, l := range lines {
		row := ImportRow{Line: l.Line, Email: l.Email, Name: l.Name, Type: l.Type, Role: l.Role, Outcome: l.Outcome}
		if u := l.User; u != nil {
			row.Email, row.Name, row.Type, row.Role = u.Email, u.Name, p.T(typeKeys[u.Type]), p.T(roleKeys[u.Role])
		}
		switch l.Outcome {
		case kassa.ImportAdd:
			p.Added++
			row.OutcomeText = p.T("people.import.add")
		case kassa.ImportExists:
			p.Existing++
			row.OutcomeText = p.T("people.import.exists")
		default:
			p.Refused++
			row.OutcomeText = p.T("people.import.refused")
			for _, pr := range l.Problems {
				row.Problems = append(row.Problems, p.T(pr.Key, pr.Args...))
			}
		}
		p.Lines = append(p.Lines, row)
	}
}
