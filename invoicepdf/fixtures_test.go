package invoicepdf_test

import (
	"time"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/invoicepdf"
)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func sek(a int64) kassa.Money { return kassa.Money{Amount: a, Currency: "SEK"} }

func usd(a int64) kassa.Money { return kassa.Money{Amount: a, Currency: "USD"} }

var issuer = invoicepdf.Issuer{
	Name:      "Kassa Billing AB",
	Address:   kassa.Address{Line1: "Sveavägen 44", City: "Stockholm", PostalCode: "111 34", Country: "SE"},
	VATNumber: "SE556677889901",
	Email:     "faktura@kassa.example",
}

// swedishInvoice is a paid invoice of two lines with 25 % VAT, written in
// Swedish to a buyer whose name has Swedish letters.
func swedishInvoice() invoicepdf.Document {
	start, end := day(2026, 11, 23), day(2026, 12, 23)
	return invoicepdf.Document{
		Invoice: &kassa.Invoice{
			Number: "INV-2026-000042", Type: kassa.TypeInvoice, Status: kassa.InvoicePaid,
			IssuedAt: start.Add(9 * time.Hour), PeriodStart: start, PeriodEnd: end, Language: "sv",
			Lines: []kassa.InvoiceLine{
				{Description: "Mötesrum Pro, månadslicens", Quantity: 10, UnitPrice: sek(23900),
					PeriodStart: start, PeriodEnd: end, Amount: sek(239000)},
				{Description: "Säkert e-postarkiv", Quantity: 5, UnitPrice: sek(4900),
					PeriodStart: start, PeriodEnd: end, Amount: sek(24500)},
			},
			Subtotal: sek(263500), TaxRate: 2500, Tax: sek(65875), Total: sek(329375),
		},
		Profile: &kassa.BillingProfile{
			Name: "Åsa Öberg", Email: "asa.oberg@nordvik.example", PONumber: "PO-4711",
			Address: kassa.Address{Line1: "Storgatan 12", Line2: "Våning 3", City: "Göteborg",
				PostalCode: "411 38", Country: "SE"},
		},
		Issuer: issuer,
	}
}

// englishCreditNote credits part of an invoice, in English, with 12.5 % VAT.
func englishCreditNote() invoicepdf.Document {
	start, end := day(2026, 12, 5), day(2026, 12, 23)
	return invoicepdf.Document{
		Invoice: &kassa.Invoice{
			Number: "INV-2026-000043", Type: kassa.TypeCreditNote, Status: kassa.InvoicePaid,
			IssuedAt: start, PeriodStart: start, PeriodEnd: end, Language: "en",
			CreditOf: "INV-2026-000042",
			Lines: []kassa.InvoiceLine{
				{Description: "Meeting Rooms Pro — 3 licenses removed", Quantity: 3, UnitPrice: usd(1900),
					PeriodStart: start, PeriodEnd: end, Amount: usd(-2850)},
			},
			Subtotal: usd(-2850), TaxRate: 1250, Tax: usd(-356), Total: usd(-3206),
		},
		Profile: &kassa.BillingProfile{
			Name: "Harbor Labs Inc.", Email: "ap@harbor.example",
			Address: kassa.Address{Line1: "1 Pier Road", City: "Portland", PostalCode: "97201", Country: "US"},
		},
		Issuer: issuer,
	}
}
