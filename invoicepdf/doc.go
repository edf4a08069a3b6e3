// Package invoicepdf writes an invoice or a credit note as a PDF: the
// issuer and the buyer, the lines (description, quantity, unit price,
// period, amount), the subtotal, the VAT line and the total, every label in
// the invoice's language from kassa's catalog (package locale, keys pdf.*),
// and every amount, rate and date formatted by the locale package, as the
// web pages show them.
//
// The PDF uses the standard Helvetica font, written in the cp1252 (WinAnsi)
// encoding: it embeds no font and no image, so it stays a few kilobytes, and
// pdftotext reads its text back, Swedish letters included. Characters that
// cp1252 lacks are replaced by their closest cp1252 form, or by "?", before
// they reach the PDF.
package invoicepdf
