package invoicepdf

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/johnfercher/maroto/v2"
	"github.com/johnfercher/maroto/v2/pkg/components/col"
	"github.com/johnfercher/maroto/v2/pkg/components/line"
	"github.com/johnfercher/maroto/v2/pkg/components/row"
	"github.com/johnfercher/maroto/v2/pkg/components/text"
	"github.com/johnfercher/maroto/v2/pkg/config"
	"github.com/johnfercher/maroto/v2/pkg/consts/align"
	"github.com/johnfercher/maroto/v2/pkg/consts/fontstyle"
	"github.com/johnfercher/maroto/v2/pkg/core"
	"github.com/johnfercher/maroto/v2/pkg/core/entity"
	"github.com/johnfercher/maroto/v2/pkg/props"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/locale"
)

// Document is what one PDF shows: the invoice (or credit note), who it is
// for and who issues it. The PDF is written in the invoice's Language.
type Document struct {
	Invoice *kassa.Invoice
	Profile *kassa.BillingProfile // the buyer: name, email, address, PO number
	Issuer  Issuer
}

// Issuer is the seller named at the top of every invoice.
type Issuer struct {
	Name      string
	Address   kassa.Address
	VATNumber string
	Email     string
}

// helvetica names the standard font the PDF is written in. maroto would
// translate every text from UTF-8 to cp1252 itself when the family is
// spelt fontfamily.Helvetica ("helvetica"), but it builds a new translation
// table for each piece of text, which takes 90 % of the time of a PDF.
// Spelt with a capital, the family is still the standard Helvetica to
// gofpdf (which lowercases it), and maroto leaves the text as it is: pdfText
// gives it cp1252 bytes already.
const helvetica = "Helvetica"

// The page is an A4 sheet divided into gridColumns columns.
const (
	gridColumns = 24
	margin      = 15.0 // mm, all round
	fontSize    = 9.0
	linePad     = 0.7 // mm above each line of an address
)

var (
	gray      = &props.Color{Red: 110, Green: 110, Blue: 110}
	lightGray = &props.Color{Red: 235, Green: 235, Blue: 235}
)

// Render writes d as a PDF to w. It fails only when d has no invoice or no
// buyer, or when w does: any text and any amount can be drawn.
func Render(w io.Writer, d Document) (err error) {
	if d.Invoice == nil || d.Profile == nil {
		return errors.New("render invoice pdf: an invoice and its billing profile are needed")
	}
	inv := d.Invoice
	// maroto is a third-party layout engine; should it panic on some input,
	// the caller gets an error rather than a dead request.
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("render invoice %s as pdf: %v", inv.Number, p)
		}
	}()
	lang := inv.Language
	if !locale.Valid(lang) {
		lang = locale.English
	}
	p := page{l: labelsFor(lang), lang: lang, inv: inv}
	m := maroto.New(p.config(d.Issuer))
	m.AddRows(p.head(d.Issuer)...)
	m.AddRows(p.buyer(d.Profile)...)
	m.AddRows(p.lines()...)
	m.AddRows(p.totals()...)
	doc, err := m.Generate()
	if err != nil {
		return fmt.Errorf("render invoice %s as pdf: %w", inv.Number, err)
	}
	if _, err := w.Write(doc.GetBytes()); err != nil {
		return fmt.Errorf("write invoice %s pdf: %w", inv.Number, err)
	}
	return nil
}

// page lays one invoice out in one language.
type page struct {
	l    labels
	lang string
	inv  *kassa.Invoice
}

func (p page) config(issuer Issuer) *entity.Config {
	title := p.l.title(p.inv) + " " + p.inv.Number
	b := config.NewBuilder().
		WithLeftMargin(margin).WithTopMargin(margin).
		WithRightMargin(margin).WithBottomMargin(margin).
		WithMaxGridSize(gridColumns).
		WithDefaultFont(&props.Font{Family: helvetica, Size: fontSize, Color: &props.BlackColor}).
		WithCompression(true).
		WithTitle(metadataText(strings.TrimSpace(title)), true).
		WithAuthor(metadataText(issuer.Name), true).
		WithCreator("kassa", false).
		WithPageNumber(props.PageNumber{Pattern: p.l.Page, Place: props.RightBottom, Size: 7, Color: gray})
	if !p.inv.IssuedAt.IsZero() {
		// The PDF is created when the invoice is issued, however often and
		// late it is downloaded.
		b = b.WithCreationDate(p.inv.IssuedAt)
	}
	return b.Build()
}

// head is the issuer (left) beside the title, number, dates and status (right).
func (p page) head(issuer Issuer) []core.Row {
	inv := p.inv
	rows := []core.Row{row.New(12).Add(
		text.NewCol(14, pdfText(issuer.Name), props.Text{Size: 14, Style: fontstyle.Bold}),
		text.NewCol(10, pdfText(p.l.title(inv)), props.Text{Size: 18, Style: fontstyle.Bold, Align: align.Right}),
	)}
	left := addressLines(issuer.Address)
	if issuer.Email != "" {
		left = append(left, issuer.Email)
	}
	if issuer.VATNumber != "" {
		left = append(left, p.l.VATNumber+" "+issuer.VATNumber)
	}
	type pair struct{ label, value string }
	right := []pair{{p.l.Number, inv.Number}, {p.l.IssueDate, p.date(inv.IssuedAt)}}
	if period := p.period(inv.PeriodStart, inv.PeriodEnd); period != "" {
		right = append(right, pair{p.l.Period, period})
	}
	right = append(right, pair{p.l.Status, p.l.status(inv)})
	if inv.Type == kassa.TypeCreditNote && inv.CreditOf != "" {
		right = append(right, pair{p.l.CreditOf, inv.CreditOf})
	}
	for i := range max(len(left), len(right)) {
		r := row.New().Add(small(12, at(left, i), props.Text{Top: linePad, Color: gray}))
		if i < len(right) {
			r.Add(small(5, right[i].label, props.Text{Top: linePad, Style: fontstyle.Bold}),
				small(7, right[i].value, props.Text{Top: linePad, Align: align.Right}))
		} else {
			r.Add(col.New(12))
		}
		rows = append(rows, r)
	}
	return rows
}

// buyer is the "Bill to" block: the billing profile's name, address, email
// and PO number.
func (p page) buyer(bp *kassa.BillingProfile) []core.Row {
	rows := []core.Row{
		row.New(8),
		text.NewAutoRow(pdfText(p.l.BillTo), props.Text{Style: fontstyle.Bold, Bottom: 1}),
		text.NewAutoRow(pdfText(bp.Name), props.Text{Size: 10}),
	}
	lines := addressLines(bp.Address)
	if bp.Email != "" {
		lines = append(lines, bp.Email)
	}
	for _, s := range lines {
		rows = append(rows, text.NewAutoRow(pdfText(s), props.Text{Top: linePad}))
	}
	if bp.PONumber != "" {
		rows = append(rows, row.New().Add(
			small(10, p.l.PONumber, props.Text{Style: fontstyle.Bold, Top: 1}),
			small(14, bp.PONumber, props.Text{Top: 1})))
	}
	return rows
}

// The widths of the columns of the lines' table; they add up to gridColumns.
const (
	descriptionWidth = 8
	periodWidth      = 6
	quantityWidth    = 2
	unitPriceWidth   = 4
	amountWidth      = 4
)

// lines is the table of the invoice's lines under a shaded header.
func (p page) lines() []core.Row {
	cell := props.Text{Top: 1.5, Bottom: 1.5, Left: 1, Right: 1}
	bold, boldRight := cell, cell
	bold.Style, boldRight.Style, boldRight.Align = fontstyle.Bold, fontstyle.Bold, align.Right
	right := cell
	right.Align = align.Right
	rows := []core.Row{
		row.New(8),
		row.New().Add(
			small(descriptionWidth, p.l.Description, bold),
			small(periodWidth, p.l.Period, bold),
			small(quantityWidth, p.l.Quantity, boldRight),
			small(unitPriceWidth, p.l.UnitPrice, boldRight),
			small(amountWidth, p.l.Amount, boldRight),
		).WithStyle(&props.Cell{BackgroundColor: lightGray}),
	}
	for _, ln := range p.inv.Lines {
		rows = append(rows, row.New().Add(
			small(descriptionWidth, ln.Description, cell),
			small(periodWidth, p.period(ln.PeriodStart, ln.PeriodEnd), cell),
			small(quantityWidth, strconv.Itoa(ln.Quantity), right),
			small(unitPriceWidth, p.money(ln.UnitPrice), right),
			small(amountWidth, p.money(ln.Amount), right),
		))
	}
	return append(rows, line.NewRow(2, props.Line{Thickness: 0.2, OffsetPercent: 100, SizePercent: 100}))
}

// totals is the subtotal, the VAT line with its rate and the total, under
// the amounts column.
func (p page) totals() []core.Row {
	inv := p.inv
	total := func(label, amount string, style fontstyle.Type, size float64) core.Row {
		return row.New().Add(
			col.New(gridColumns-12),
			small(6, label, props.Text{Top: 1, Bottom: 1, Style: style, Size: size}),
			small(6, amount, props.Text{Top: 1, Bottom: 1, Style: style, Size: size, Align: align.Right, Right: 1}),
		)
	}
	return []core.Row{
		total(p.l.Subtotal, p.money(inv.Subtotal), fontstyle.Normal, fontSize),
		total(p.l.vat(inv.TaxRate), p.money(inv.Tax), fontstyle.Normal, fontSize),
		row.New(2).Add(col.New(gridColumns-12), line.NewCol(12, props.Line{Thickness: 0.4, OffsetPercent: 50, SizePercent: 100})),
		total(p.l.total(inv), p.money(inv.Total), fontstyle.Bold, 11),
	}
}

func (p page) money(m kassa.Money) string { return locale.FormatMoney(m, p.lang) }

// date formats a day, or nothing when the time is unset.
func (p page) date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return locale.FormatDate(t, p.lang)
}

// period formats the days from start to end: "2026-11-23 – 2026-12-23".
func (p page) period(start, end time.Time) string {
	if start.IsZero() && end.IsZero() {
		return ""
	}
	return p.date(start) + " – " + p.date(end)
}

// small is a column of size grid columns with one text, made drawable by
// pdfText, in the default font size unless ps says otherwise.
func small(size int, s string, ps props.Text) core.Col {
	return text.NewCol(size, pdfText(s), ps)
}

// addressLines writes a postal address the way it goes on an envelope,
// leaving out empty lines.
func addressLines(a kassa.Address) []string {
	var out []string
	for _, s := range []string{a.Line1, a.Line2, strings.TrimSpace(a.PostalCode + " " + a.City), a.Country} {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// at returns ss[i], or "" past its end.
func at(ss []string, i int) string {
	if i < len(ss) {
		return ss[i]
	}
	return ""
}
