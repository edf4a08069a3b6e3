package notify_test

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/notify"
)

const nb = "\u00a0" // FormatMoney and licenses() group with non-breaking spaces

// meetings is what sqldb writes for a purchase of Kassa Meetings by Åsa.
func meetings() kassa.NotificationData {
	return kassa.NotificationData{
		SubscriptionID: "sub_1",
		Product:        kassa.Text{En: "Kassa Meetings", Sv: "Kassa Möten"},
		PurchaserName:  "Åsa Öberg",
		PurchaserEmail: "asa@nordvik.example",
		ActorName:      "Erik Lind",
		Quantity:       5,
		Term:           kassa.Monthly,
		UnitPrice:      kassa.Money{Amount: 23900, Currency: "SEK"},
		CancelReason:   "too_expensive",
		EndsAt:         time.Date(2026, 12, 23, 9, 0, 0, 0, time.UTC),
	}
}

func TestRender(t *testing.T) {
	type change func(*kassa.NotificationData)
	purchaser := func(d *kassa.NotificationData) { d.ForPurchaser = true }
	trial := func(d *kassa.NotificationData) { d.Trial = true }
	// spend is a warning that whose (the organization when "") spent
	// 1 642,50 kr of 2 000 kr.
	idle := func(holder string, toPurchaser bool) change {
		return func(d *kassa.NotificationData) { d.HolderName, d.IdleDays, d.ForPurchaser = holder, 90, toPurchaser }
	}
	spend := func(whose string) change {
		return func(d *kassa.NotificationData) {
			d.PurchaserName, d.Amount = whose, kassa.Money{Amount: 164250, Currency: "SEK"}
			d.Ceiling = kassa.Money{Amount: 200000, Currency: "SEK"}
		}
	}
	// ended is an admin's ending of a subscription with 3 holders, with
	// 398,34 kr credited.
	ended := func(reason kassa.CancelReason, message string) change {
		return func(d *kassa.NotificationData) {
			d.CancelReason, d.Message, d.Holders = reason, message, 3
			d.Amount = kassa.Money{Amount: 39834, Currency: "SEK"}
		}
	}
	for _, tc := range []struct {
		name    string
		kind    kassa.NotificationKind
		lang    string
		changes []change
		subject string
		body    []string // each appears in the body
		notBody []string // none appears in the body
	}{
		{"PurchaseToPurchaserEnglish", kassa.NotifyPurchase, "en", []change{purchaser},
			"You bought Kassa Meetings",
			[]string{"You bought 5 licenses of Kassa Meetings (SEK" + nb + "239.00 per license per month).", "renews on Dec 23, 2026 unless you cancel it", "Billing › Licenses", "because you bought this subscription"},
			[]string{"Åsa"}},
		{"PurchaseToPurchaserSwedish", kassa.NotifyPurchase, "sv", []change{purchaser},
			"Du köpte Kassa Möten",
			[]string{"Du köpte 5 licenser för Kassa Möten (239,00" + nb + "kr per licens och månad).", "förnyas 2026-12-23 om du inte säger upp den", "Fakturering › Licenser", "eftersom du köpte prenumerationen"},
			nil},
		{"PurchaseToAdminEnglish", kassa.NotifyPurchase, "en", nil,
			"Åsa Öberg bought Kassa Meetings",
			[]string{"Åsa Öberg (asa@nordvik.example) bought 5 licenses of Kassa Meetings (SEK" + nb + "239.00 per license per month).", "Admin › Self-service purchases", "take it over", "because you're an admin"},
			[]string{"You bought"}},
		{"PurchaseToAdminSwedish", kassa.NotifyPurchase, "sv", nil,
			"Åsa Öberg köpte Kassa Möten",
			[]string{"Åsa Öberg (asa@nordvik.example) köpte 5 licenser för Kassa Möten (239,00" + nb + "kr per licens och månad).", "Administration › Självbetjäningsköp", "ta över den", "eftersom du är administratör"},
			nil},
		{"TrialToPurchaserEnglish", kassa.NotifyPurchase, "en", []change{purchaser, trial},
			"Your free trial of Kassa Meetings has started",
			[]string{"You started a free trial of Kassa Meetings with 5 licenses.", "Nothing is charged until it ends on Dec 23, 2026.", "paid subscription at SEK" + nb + "239.00 per license per month"},
			[]string{"You bought"}},
		{"TrialToPurchaserSwedish", kassa.NotifyPurchase, "sv", []change{purchaser, trial},
			"Din kostnadsfria provperiod av Kassa Möten har börjat",
			[]string{"Du startade en kostnadsfri provperiod av Kassa Möten med 5 licenser.", "Inget debiteras förrän den slutar 2026-12-23."},
			nil},
		{"TrialToAdminEnglish", kassa.NotifyPurchase, "en", []change{trial},
			"Åsa Öberg started a free trial of Kassa Meetings",
			[]string{"The trial ends on Dec 23, 2026."}, nil},
		{"TrialToAdminSwedish", kassa.NotifyPurchase, "sv", []change{trial},
			"Åsa Öberg startade en kostnadsfri provperiod av Kassa Möten",
			[]string{"Provperioden slutar 2026-12-23."}, nil},
		{"TakeOverToPurchaserEnglish", kassa.NotifyTakeOver, "en", []change{purchaser},
			"Your subscription to Kassa Meetings was taken over",
			[]string{"Your subscription to Kassa Meetings (5 licenses) was taken over by Erik Lind.", "Your admins manage it now: you can still see it"},
			nil},
		{"TakeOverToPurchaserSwedish", kassa.NotifyTakeOver, "sv", []change{purchaser},
			"Din prenumeration på Kassa Möten har tagits över",
			[]string{"Din prenumeration på Kassa Möten (5 licenser) har tagits över av Erik Lind.", "du ser den fortfarande"},
			nil},
		{"TakeOverToAdminEnglish", kassa.NotifyTakeOver, "en", nil,
			"Erik Lind took over Kassa Meetings from Åsa Öberg",
			[]string{"Erik Lind took over the subscription to Kassa Meetings (5 licenses) that Åsa Öberg (asa@nordvik.example) bought.", "billing carries on as before"},
			nil},
		{"TakeOverToAdminSwedish", kassa.NotifyTakeOver, "sv", nil,
			"Erik Lind tog över Kassa Möten från Åsa Öberg",
			[]string{"Erik Lind tog över prenumerationen på Kassa Möten (5 licenser) som Åsa Öberg (asa@nordvik.example) köpte."},
			nil},
		{"CancellationToPurchaserEnglish", kassa.NotifyCancellation, "en", []change{purchaser},
			"You canceled Kassa Meetings",
			[]string{"You canceled your subscription to Kassa Meetings (5 licenses).", "Access ends on Dec 23, 2026."},
			[]string{"Reason"}},
		{"CancellationToPurchaserSwedish", kassa.NotifyCancellation, "sv", []change{purchaser},
			"Du sade upp Kassa Möten",
			[]string{"Du sade upp din prenumeration på Kassa Möten (5 licenser).", "Åtkomsten upphör 2026-12-23."},
			[]string{"Orsak"}},
		{"CancellationToAdminEnglish", kassa.NotifyCancellation, "en", nil,
			"Åsa Öberg canceled Kassa Meetings",
			[]string{"Åsa Öberg (asa@nordvik.example) canceled the subscription to Kassa Meetings (5 licenses). Reason: It's too expensive. Access ends on Dec 23, 2026."},
			nil},
		{"CancellationToAdminSwedish", kassa.NotifyCancellation, "sv", nil,
			"Åsa Öberg sade upp Kassa Möten",
			[]string{"Åsa Öberg (asa@nordvik.example) sade upp prenumerationen på Kassa Möten (5 licenser). Orsak: Det är för dyrt. Åtkomsten upphör 2026-12-23."},
			nil},
		{"TrialCancellationSwedish", kassa.NotifyCancellation, "sv", []change{purchaser, trial},
			"Du sade upp Kassa Möten",
			[]string{"Du sade upp din kostnadsfria provperiod av Kassa Möten (5 licenser)."}, nil},
		{"OneLicenseAnnual", kassa.NotifyPurchase, "en", []change{purchaser, func(d *kassa.NotificationData) {
			d.Quantity, d.Term = 1, kassa.Annual
		}}, "You bought Kassa Meetings", []string{"1 license of Kassa Meetings (SEK" + nb + "239.00 per license per year)"}, nil},
		{"OneLicenseSwedish", kassa.NotifyPurchase, "sv", []change{purchaser, func(d *kassa.NotificationData) {
			d.Quantity, d.Term = 1, kassa.Annual
		}}, "Du köpte Kassa Möten", []string{"1 licens för Kassa Möten (239,00" + nb + "kr per licens och år)"}, nil},
		{"ThousandsSwedish", kassa.NotifyTakeOver, "sv", []change{func(d *kassa.NotificationData) { d.Quantity = 10_000 }},
			"Erik Lind tog över Kassa Möten från Åsa Öberg", []string{"(10" + nb + "000 licenser)"}, nil},
		{"UnknownLocaleIsEnglish", kassa.NotifyCancellation, "fr", nil,
			"Åsa Öberg canceled Kassa Meetings", []string{"Reason: It's too expensive."}, nil},
		{"CancellationToAdminGerman", kassa.NotifyCancellation, "de", nil,
			"Åsa Öberg hat Kassa Meetings gekündigt",
			[]string{"Åsa Öberg (asa@nordvik.example) hat das Abonnement für Kassa Meetings (5 Lizenzen) gekündigt.",
				"Grund: Es ist zu teuer.", "Der Zugriff endet am 23.12.2026.", "weil Sie Administrator Ihrer Organisation"},
			[]string{"canceled", "Reason"}},
		{"PurchaseToPurchaserGerman", kassa.NotifyPurchase, "de", []change{purchaser},
			"Sie haben Kassa Meetings gekauft",
			[]string{"Sie haben 5 Lizenzen für Kassa Meetings gekauft (239,00" + nb + "SEK pro Lizenz und Monat).",
				"verlängert sich am 23.12.2026", "Abrechnung › Lizenzen"},
			nil},
		{"SwedishFallsBackToEnglishProductName", kassa.NotifyPurchase, "sv", []change{func(d *kassa.NotificationData) {
			d.Product.Sv = ""
		}}, "Åsa Öberg köpte Kassa Meetings", nil, nil},
		{"NoNameShowsTheEmail", kassa.NotifyPurchase, "en", []change{func(d *kassa.NotificationData) {
			d.PurchaserName = ""
		}}, "asa@nordvik.example bought Kassa Meetings", []string{"asa@nordvik.example bought 5 licenses"}, []string{"()"}},
		{"NoDataStillReads", kassa.NotifyCancellation, "en", []change{func(d *kassa.NotificationData) {
			*d = kassa.NotificationData{}
		}}, "Someone canceled a product", []string{"Someone canceled the subscription to a product (0 licenses)."}, []string{"Reason", "Access ends"}},
		{"UnknownKind", "renewal", "sv", nil,
			"Prenumerationen på Kassa Möten har ändrats", []string{"Prenumerationen på Kassa Möten (5 licenser) har ändrats."}, nil},
		{"PaymentActionEnglish", kassa.NotifyPaymentAction, "en", []change{purchaser, func(d *kassa.NotificationData) {
			d.Amount, d.Link = kassa.Money{Amount: 149375, Currency: "SEK"}, "https://kassa.example/billing/bills/invoices/inv_1/pay"
		}},
			"Confirm the renewal of Kassa Meetings",
			[]string{"Your bank wants you to confirm the payment of SEK" + nb + "1,493.75 for Kassa Meetings yourself",
				"\n\nhttps://kassa.example/billing/bills/invoices/inv_1/pay\n\n", "the subscription is suspended"},
			nil},
		{"PaymentActionSwedish", kassa.NotifyPaymentAction, "sv", []change{purchaser, func(d *kassa.NotificationData) {
			d.Amount, d.Link = kassa.Money{Amount: 149375, Currency: "SEK"}, "https://kassa.example/billing/bills/invoices/inv_1/pay"
		}},
			"Bekräfta förnyelsen av Kassa Möten",
			[]string{"Din bank vill att du själv bekräftar betalningen på 1" + nb + "493,75" + nb + "kr för Kassa Möten", "/invoices/inv_1/pay"},
			nil},
		{"AdminCancellationToPurchaserEnglish", kassa.NotifyAdminCancellation, "en", []change{purchaser, ended("other", "Use the company plan.\nThanks")},
			"An admin canceled your subscription to Kassa Meetings",
			[]string{"Erik Lind, an admin of your organization, canceled your subscription to Kassa Meetings (5 licenses).", "Reason: Other.",
				"Their message: “Use the company plan. Thanks”", "You get SEK" + nb + "398.34 back"},
			nil},
		{"AdminCancellationToAdminSwedish", kassa.NotifyAdminCancellation, "sv", []change{ended("other", "")},
			"Erik Lind sade upp Kassa Möten som Åsa Öberg köpte",
			[]string{"Erik Lind sade upp självbetjäningsprenumerationen på Kassa Möten (5 licenser) som Åsa Öberg (asa@nordvik.example) köpte. 3 personer förlorade sina licenser."},
			[]string{"Meddelande", "tillbaka"}},
		{"UsersMovedToPurchaserSwedish", kassa.NotifyUsersMoved, "sv", []change{purchaser, ended(kassa.CancelUsersMoved, "")},
			"Dina licenser för Kassa Möten har flyttats till organisationens prenumeration",
			[]string{"Erik Lind, administratör i er organisation, flyttade de som hade licenser", "De behåller sin åtkomst", "Du får tillbaka 398,34" + nb + "kr"},
			[]string{"users_moved", "\n\n\n"}},
		{"UsersMovedToAdminEnglish", kassa.NotifyUsersMoved, "en", []change{ended(kassa.CancelUsersMoved, "")},
			"Erik Lind moved the users of Åsa Öberg's Kassa Meetings",
			[]string{"Erik Lind moved 3 people from the self-service subscription to Kassa Meetings (5 licenses) that Åsa Öberg (asa@nordvik.example) bought"},
			[]string{"back"}},
		{"ReclaimWarningToHolderSwedish", kassa.NotifyReclaimWarning, "sv", []change{idle("Åsa Öberg", false)},
			"Din licens för Kassa Möten tas tillbaka den 2026-12-23",
			[]string{"Du har inte använt din licens för Kassa Möten på ett tag, och er organisation tar tillbaka licenser som ingen har använt på 90 dagar.",
				"logga in i kassa före den 2026-12-23", "eftersom du har en licens i kassa"},
			[]string{"administratör i er organisation"}},
		{"ReclaimWarningToPurchaserEnglish", kassa.NotifyReclaimWarning, "en", []change{idle("Åsa Öberg", true)},
			"A license of Kassa Meetings will be reclaimed on Dec 23, 2026",
			[]string{"Åsa Öberg has not used their license of your subscription to Kassa Meetings for a while. Unless they use it before Dec 23, 2026"},
			nil},
		{"ReclaimedToHolderGerman", kassa.NotifyReclaimed, "de", []change{idle("Åsa Öberg", false)},
			"Ihre Lizenz für Kassa Meetings wurde zurückgenommen",
			[]string{"Sie war 90 Tage lang nicht genutzt worden."},
			nil},
		{"ReclaimedToPurchaserSwedish", kassa.NotifyReclaimed, "sv", []change{idle("Åsa Öberg", true)},
			"En licens för Kassa Möten har tagits tillbaka",
			[]string{"som Åsa Öberg hade har tagits tillbaka: den hade inte använts på 90 dagar.", "Fakturering › Licenser"},
			nil},
		{"SpendWarningToPersonSwedish", kassa.NotifySpendWarning, "sv", []change{purchaser, spend("Åsa Öberg")},
			"80 % av månadsgränsen för självbetjäningsköp är använd",
			[]string{"Dina självbetjäningsköp har kommit upp i 1" + nb + "642,50" + nb + "kr den här månaden, av din månadsgräns 2" + nb + "000,00" + nb + "kr.",
				"nekas tills månaden är slut", "eftersom er organisation har angett en utgiftsgräns"},
			[]string{"Administration ›"}},
		{"SpendWarningToAdminEnglish", kassa.NotifySpendWarning, "en", []change{spend("Åsa Öberg")},
			"80 % of the monthly self-service spend limit is used",
			[]string{"Åsa Öberg's self-service purchases have come to SEK" + nb + "1,642.50 this month, of their monthly limit of SEK" + nb + "2,000.00.",
				"Admin › Spend limits"},
			nil},
		{"SpendWarningOrganizationGerman", kassa.NotifySpendWarning, "de", []change{spend("")},
			"80 % des monatlichen Limits für Self-Service-Ausgaben sind verbraucht",
			[]string{"Die Self-Service-Käufe Ihrer Organisation belaufen sich diesen Monat auf 1.642,50" + nb + "SEK"},
			nil},
		{"DisputeToAdminEnglish", kassa.NotifyDispute, "en", []change{func(d *kassa.NotificationData) {
			d.Amount, d.Reason = kassa.Money{Amount: 149375, Currency: "SEK"}, "fraudulent"
		}},
			"A payment for Kassa Meetings was disputed",
			[]string{"disputed a payment of SEK" + nb + "1,493.75 for Kassa Meetings, bought by Åsa Öberg (asa@nordvik.example)",
				"(reason: fraudulent)", "marked as disputed", "because you're an admin"},
			nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := meetings()
			for _, c := range tc.changes {
				c(&d)
			}
			n := &kassa.Notification{ID: "ntf_1", Kind: tc.kind, To: "x@nordvik.example", Locale: tc.lang, Data: d}
			m := notify.Render(n)
			if m.ID != "ntf_1" || m.To != "x@nordvik.example" {
				t.Errorf("Render(%s) = ID %q, To %q, want the notification's", tc.name, m.ID, m.To)
			}
			if m.Subject != tc.subject {
				t.Errorf("Render(%s).Subject = %q, want %q", tc.name, m.Subject, tc.subject)
			}
			for _, s := range tc.body {
				if !strings.Contains(m.Body, s) {
					t.Errorf("Render(%s).Body = %q, want it to contain %q", tc.name, m.Body, s)
				}
			}
			for _, s := range tc.notBody {
				if strings.Contains(m.Body, s) {
					t.Errorf("Render(%s).Body = %q, want it without %q", tc.name, m.Body, s)
				}
			}
		})
	}
}

// TestRenderHeaderInjection feeds line breaks through every field that
// reaches the subject.
func TestRenderHeaderInjection(t *testing.T) {
	d := meetings()
	d.PurchaserName = "Eve\r\nBcc: victim@example.com"
	d.Product = kassa.Text{En: "X\nY\u2028Z\x00", Sv: "X\rY"}
	d.ActorName = "Mallory\n\nbody"
	for _, kind := range []kassa.NotificationKind{kassa.NotifyPurchase, kassa.NotifyTakeOver, kassa.NotifyCancellation} {
		for _, lang := range []string{"en", "sv"} {
			m := notify.Render(&kassa.Notification{Kind: kind, Locale: lang, Data: d})
			if strings.ContainsAny(m.Subject, "\r\n\x00\u2028") {
				t.Errorf("Render(%s, %s).Subject = %q, want one line", kind, lang, m.Subject)
			}
			if strings.Contains(m.Body, "\r") || strings.Contains(m.Body, "Eve\n") {
				t.Errorf("Render(%s, %s).Body = %q, want the name on one line", kind, lang, m.Body)
			}
		}
	}
}

func TestRenderLongSubject(t *testing.T) {
	d := meetings()
	d.PurchaserName = strings.Repeat("Öberg ", 100)
	m := notify.Render(&kassa.Notification{Kind: kassa.NotifyPurchase, Locale: "sv", Data: d})
	if n := utf8.RuneCountInString(m.Subject); n > 200 || !strings.HasSuffix(m.Subject, "…") {
		t.Errorf("Render(long name).Subject has %d characters (%q), want at most 200 ending in …", n, m.Subject)
	}
}

func FuzzRender(f *testing.F) {
	f.Add("purchase", "sv", "Kassa Möten", "Åsa", "asa@x", "Erik", 5, int64(23900), "SEK", "too_expensive", true, false, int64(1795424400))
	f.Add("take_over", "en", "", "", "", "", 0, int64(0), "", "", false, true, int64(0))
	f.Add("cancellation", "xx", "a\r\nb", "\n", "\x00", "\u2028", -1, int64(-1), "JPY", "other\n", true, true, int64(-62135596800))
	f.Fuzz(func(t *testing.T, kind, lang, product, name, email, actor string, qty int, amount int64, currency, reason string, trial, forPurchaser bool, ends int64) {
		d := kassa.NotificationData{
			Product: kassa.Text{En: product, Sv: product + "sv"}, PurchaserName: name, PurchaserEmail: email,
			ActorName: actor, Quantity: qty, Term: kassa.Term(currency), UnitPrice: kassa.Money{Amount: amount, Currency: currency},
			Trial: trial, CancelReason: kassa.CancelReason(reason), EndsAt: time.Unix(ends, 0), ForPurchaser: forPurchaser,
		}
		for _, l := range []string{lang, "en", "sv"} {
			m := notify.Render(&kassa.Notification{ID: "ntf_1", Kind: kassa.NotificationKind(kind), Locale: l, Data: d})
			if strings.TrimSpace(m.Subject) == "" {
				t.Errorf("Render(%q, %q).Subject is empty", kind, l)
			}
			if strings.ContainsAny(m.Subject, "\r\n") {
				t.Errorf("Render(%q, %q).Subject = %q, want one line", kind, l, m.Subject)
			}
			if !utf8.ValidString(m.Subject) || !utf8.ValidString(m.Body) {
				t.Errorf("Render(%q, %q) = %q, %q, want valid UTF-8", kind, l, m.Subject, m.Body)
			}
			if m.Body == "" {
				t.Errorf("Render(%q, %q).Body is empty", kind, l)
			}
		}
	})
}
