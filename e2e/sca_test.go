package e2e

import (
	"bytes"
	"context"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kassa-billing/kassa/notify"
	"github.com/kassa-billing/kassa/notify/smtptest"
	"github.com/kassa-billing/kassa/sqldb/sqldbtest"
)

// Strong customer authentication (SPEC §10), walked in Chromium in
// Swedish (erik) and English (mike), each paying with the simulator's
// 4000 0027 6000 3184, which its bank wants confirmed for every payment:
// a purchase goes to the bank's page and, completed there, is bought; a
// second one failed at the bank buys nothing; and a renewal the bank
// refused without the purchaser is paid through the link mailed to them.

type scaWords struct {
	lang, acceptLanguage                string
	products, buy, review, profile      string
	complete, fail, purchased, failed   string
	subject, payNow, paid, nothingTaken string
	address                             map[string]string
}

var swedishSCA = scaWords{
	lang: "sv", acceptLanguage: "sv-SE,sv;q=0.9",
	products: "Dina produkter", buy: "Köp", review: "Granska", profile: "Nordvik – bankens kort",
	complete: "Slutför", fail: "Misslyckas",
	purchased: "Tack för ditt köp. Prenumerationen är aktiv och fakturan finns under Räkningar och betalningar.",
	failed:    "Din bank bekräftade inte betalningen, så inget drogs. Försök igen eller använd ett annat kort. Inget köptes och inget drogs.",
	subject:   "Bekräfta förnyelsen av Projektplanering",
	payNow:    "Betala nu", paid: "Fakturan är betald.", nothingTaken: "Inget köptes",
	address: map[string]string{"line1": "Storgatan 12", "city": "Stockholm", "postal_code": "111 22", "country": "SE"},
}

var englishSCA = scaWords{
	lang: "en", acceptLanguage: "en-US,en;q=0.9",
	products: "Your products", buy: "Buy", review: "Review", profile: "Harbor – the bank's card",
	complete: "Complete", fail: "Fail",
	purchased: "Thank you for your purchase. The subscription is active, and its invoice is under Bills & payments.",
	failed:    "Your bank did not confirm the payment, so nothing was charged. Try again or use another card. Nothing was bought and nothing was charged.",
	subject:   "Confirm the renewal of Project Plan",
	payNow:    "Pay now", paid: "The invoice is paid.", nothingTaken: "Nothing was bought",
	address: map[string]string{"line1": "1 Harbor Way", "city": "Seattle", "postal_code": "98101", "country": "US"},
}

func TestStrongCustomerAuthentication(t *testing.T) {
	t.Parallel()
	browser := startBrowser(t)
	site := serveDemo(t)
	smtp := smtptest.Start(t)
	sender, err := notify.NewSMTPSender("smtp://" + smtp.Addr() + "?from=kassa%20%3Ckassa@example.com%3E")
	if err != nil {
		t.Fatal(err)
	}
	outbox := &notify.Worker{Store: site.db, Sender: sender, Links: site.auth, BaseURL: site.url}
	for _, c := range []struct {
		email string
		w     scaWords
	}{
		{"erik@nordvik.example", swedishSCA},
		{"mike@harbor.example", englishSCA},
	} {
		cardProfile(t, site.url, c.email, "4000002760003184", c.w.profile, c.w.address)
		t.Run(c.w.lang, func(t *testing.T) {
			t.Parallel()
			walkSCA(t, newTab(t, browser, c.w.acceptLanguage), site, c.email, c.w, func() string {
				return mailedLink(t, outbox, smtp, c.email, c.w.subject, site.url)
			})
		})
	}
}

func walkSCA(t *testing.T, tab context.Context, site *demoSite, email string, w scaWords, link func() string) {
	signIn(t, tab, site.url, email)
	shot := func(name string) { screenshot(t, tab, "sca-"+name+"-"+w.lang) }
	buy := func(product string) {
		follow(t, tab, "//nav", w.products)
		follow(t, tab, `//section[@id="catalog"]`, w.buy+" – "+product)
		fill(t, tab, map[string]string{"buy-quantity": "2"})
		selectOption(t, tab, "buy-profile", w.profile)
		follow(t, tab, "//main", w.review)
		follow(t, tab, "//main", w.buy)
		if got := readPage(t, tab); !strings.HasPrefix(got.Path, "/simulator/pay/") || got.Lang != w.lang {
			t.Fatalf("buying led to %+v, not the bank's page", got)
		}
	}

	// Bought once the bank's page is completed.
	buy("Analytics Pro")
	shot("bank")
	follow(t, tab, "//main", w.complete)
	wantTexts(t, tab, ".notice", w.purchased)
	shot("bought")

	// Failed at the bank: nothing bought, nothing charged.
	buy("Analytics Pro")
	follow(t, tab, "//main", w.fail)
	wantTexts(t, tab, ".alert", w.failed)
	shot("failed")

	// A renewal the bank refuses without the purchaser: bought through the
	// bank today, then its term ends and the billing clock renews it.
	buy(map[string]string{"sv": "Projektplanering", "en": "Project Plan"}[w.lang])
	follow(t, tab, "//main", w.complete)
	sub := strings.TrimPrefix(readPage(t, tab).Path, "/billing/products/subscriptions/")
	raw := sqldbtest.Raw(t, site.dsn)
	if _, err := raw.Exec(`UPDATE subscriptions SET period_end = $1 WHERE id = $2`, time.Now().Add(-time.Minute).UTC(), sub); err != nil {
		t.Fatal(err)
	}
	if _, err := site.billing.RunDue(t.Context(), time.Now(), nil); err != nil {
		t.Fatal(err)
	}
	// The mail's link leads to the page that pays it, through the bank.
	load(t, tab, "open the mailed link", chromedp.Navigate(link()))
	shot("pay")
	follow(t, tab, "//main", w.payNow)
	follow(t, tab, "//main", w.complete)
	wantTexts(t, tab, ".notice", w.paid)
	if got := readPage(t, tab); got.Path != "/billing/products/subscriptions/"+sub {
		t.Errorf("after paying: %+v", got)
	}
	shot("paid")
}

// mailedLink sends the outbox until the message with the subject has come
// to addr, and returns the link in it under base.
func mailedLink(t *testing.T, outbox *notify.Worker, srv *smtptest.Server, addr, subject, base string) string {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		if _, _, err := outbox.RunOnce(t.Context()); err != nil {
			t.Fatalf("send the outbox: %v", err)
		}
		for _, m := range srv.Messages() {
			if !slices.Contains(m.To, addr) {
				continue
			}
			msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
			if err != nil {
				t.Fatal(err)
			}
			got, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
			if got != subject {
				continue
			}
			body, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
			if err != nil {
				t.Fatal(err)
			}
			link := regexp.MustCompile(regexp.QuoteMeta(base) + `/billing/bills/invoices/inv_[0-9a-z]+/pay`).FindString(string(body))
			if link == "" {
				t.Fatalf("the mail has no link:\n%s", body)
			}
			return link
		}
		if time.Now().After(deadline) {
			t.Fatalf("no mail %q to %s within a minute", subject, addr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
