package simulator

import (
	"context"
	_ "embed"
	"encoding/json"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/kassa-billing/kassa"
	"github.com/kassa-billing/kassa/gateway/events"
	"github.com/kassa-billing/kassa/locale"
)

// Handler serves the simulator's own pages under Prefix, standing for the
// processor's site: the card page of a card session (the card entered,
// and the bank's step when saving the card needs it) and the bank's page of
// a payment that needs the person (Complete or Fail). kassa serves it only
// with --gateway simulator. The pages speak the language their session or
// payment was opened in; they need no JavaScript.
func (g *Gateway) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+Prefix+"cards/{ref}", g.cardPage)
	mux.HandleFunc("POST "+Prefix+"cards/{ref}", g.submitCard)
	mux.HandleFunc("POST "+Prefix+"cards/{ref}/bank", g.confirmCard)
	mux.HandleFunc("GET "+Prefix+"pay/{ref}", g.bankPage)
	mux.HandleFunc("POST "+Prefix+"pay/{ref}", g.submitBank)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		mux.ServeHTTP(w, r)
	})
}

// page is what the simulator's template shows.
type page struct {
	W       locale.Words
	Title   string
	Action  string
	Cancel  string
	Fields  []field
	Error   string
	Bank    bool   // the bank's step: Complete or Fail
	Amount  string // what the bank is asked to pay
	Card    string // the card it is paid with
	Outcome string // a payment that is over
}

type field struct {
	ID, Label, Value, Error, Autocomplete, Mode string
	Size                                        int
}

// page.html is the simulator's one page template.
//
//go:embed page.html
var pageFile string

var pageTemplate = template.Must(template.New("page").Parse(pageFile))

func render(w http.ResponseWriter, status int, p *page) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_ = pageTemplate.Execute(w, p)
}

func notFound(w http.ResponseWriter) {
	p := &page{W: locale.In("en")}
	p.Title = p.W.T("simulator.gone")
	render(w, http.StatusNotFound, p)
}

// cardFields are the card page's fields, as typed (the number and the
// security code never come back).
func cardFields(wd locale.Words, form map[string][]string) []field {
	v := func(name string) string {
		if vs := form[name]; len(vs) > 0 {
			return vs[0]
		}
		return ""
	}
	return []field{
		{ID: "number", Label: wd.T("simulator.card.number"), Autocomplete: "cc-number", Mode: "numeric", Size: 24},
		{ID: "exp_month", Label: wd.T("simulator.card.exp_month"), Value: v("exp_month"), Autocomplete: "cc-exp-month", Mode: "numeric", Size: 3},
		{ID: "exp_year", Label: wd.T("simulator.card.exp_year"), Value: v("exp_year"), Autocomplete: "cc-exp-year", Mode: "numeric", Size: 5},
		{ID: "cvc", Label: wd.T("simulator.card.cvc"), Autocomplete: "cc-csc", Mode: "numeric", Size: 5},
		{ID: "name", Label: wd.T("simulator.card.name"), Value: v("name"), Autocomplete: "cc-name"},
		{ID: "line1", Label: wd.T("simulator.card.line1"), Value: v("line1"), Autocomplete: "address-line1"},
		{ID: "postal_code", Label: wd.T("simulator.card.postal_code"), Value: v("postal_code"), Autocomplete: "postal-code", Size: 10},
		{ID: "city", Label: wd.T("simulator.card.city"), Value: v("city"), Autocomplete: "address-level2"},
		{ID: "country", Label: wd.T("simulator.card.country"), Value: v("country"), Autocomplete: "country", Size: 4},
	}
}

func (g *Gateway) cardPage(w http.ResponseWriter, r *http.Request) {
	s, ok := g.findSession(r.PathValue("ref"))
	if !ok {
		notFound(w)
		return
	}
	wd := locale.In(s.Language)
	p := &page{W: wd, Title: wd.T("simulator.card.title"), Action: r.URL.Path, Cancel: s.Cancel, Fields: cardFields(wd, nil)}
	if s.status != kassa.CardSessionOpen {
		p.Outcome, p.Cancel = wd.T("simulator.card.done"), s.Return
	}
	render(w, http.StatusOK, p)
}

func (g *Gateway) submitCard(w http.ResponseWriter, r *http.Request) {
	ref := r.PathValue("ref")
	s, ok := g.findSession(ref)
	if !ok {
		notFound(w)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 1<<16)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "unreadable form", http.StatusBadRequest)
		return
	}
	wd := locale.In(s.Language)
	p := &page{W: wd, Title: wd.T("simulator.card.title"), Action: r.URL.Path, Cancel: s.Cancel, Fields: cardFields(wd, r.PostForm)}
	if s.status != kassa.CardSessionOpen {
		http.Redirect(w, r, s.Return, http.StatusSeeOther)
		return
	}
	month, _ := strconv.Atoi(strings.TrimSpace(r.PostForm.Get("exp_month")))
	year, _ := strconv.Atoi(strings.TrimSpace(r.PostForm.Get("exp_year")))
	if year > 0 && year < 100 {
		year += 2000
	}
	c := kassa.Card{Number: r.PostForm.Get("number"), CVC: strings.TrimSpace(r.PostForm.Get("cvc")), ExpMonth: month, ExpYear: year,
		Name: strings.TrimSpace(r.PostForm.Get("name")), Address: kassa.Address{Line1: r.PostForm.Get("line1"),
			PostalCode: r.PostForm.Get("postal_code"), City: r.PostForm.Get("city"), Country: strings.ToUpper(r.PostForm.Get("country"))}.Trimmed()}
	number, brand, err := c.Validate(g.clock.Now())
	if err == nil {
		err = kassa.ValidateAddress("card.address.", c.Address)
	}
	var saved kassa.SavedCard
	if err == nil {
		saved, err = g.saved(number, brand, c)
	}
	if err != nil {
		name, text := strings.NewReplacer("card.address.", "", "card.", "").Replace(kassa.ErrorField(err)), wd.Error(err)
		if reason := kassa.DeclineReason(err); reason != "" {
			// A refused card: its reason, in words, beside the number.
			name, text = "number", declineWords(wd, reason)
		}
		placed := false
		for i := range p.Fields {
			if p.Fields[i].ID == name {
				p.Fields[i].Error, placed = text, true
			}
		}
		if !placed {
			p.Error = text
		}
		render(w, http.StatusUnprocessableEntity, p)
		return
	}
	if setupNeedsBank[number] {
		g.mu.Lock()
		g.setups[ref] = saved
		g.mu.Unlock()
		p.Bank, p.Action, p.Amount, p.Card = true, r.URL.Path+"/bank", "0", string(saved.Brand)+" •••• "+saved.Last4
		p.Title = wd.T("simulator.bank.title")
		render(w, http.StatusOK, p)
		return
	}
	g.finishSession(r.Context(), w, r, s, saved)
}

func (g *Gateway) confirmCard(w http.ResponseWriter, r *http.Request) {
	ref := r.PathValue("ref")
	s, ok := g.findSession(ref)
	if !ok {
		notFound(w)
		return
	}
	g.mu.Lock()
	saved, ok := g.setups[ref]
	delete(g.setups, ref)
	g.mu.Unlock()
	wd := locale.In(s.Language)
	if !ok || r.PostFormValue("action") != "complete" {
		p := &page{W: wd, Title: wd.T("simulator.card.title"), Action: Prefix + "cards/" + ref, Cancel: s.Cancel,
			Fields: cardFields(wd, nil), Error: wd.T("simulator.bank.failed")}
		render(w, http.StatusUnprocessableEntity, p)
		return
	}
	g.finishSession(r.Context(), w, r, s, saved)
}

// finishSession saves the card of a card page, tells kassa, and sends the
// person back.
func (g *Gateway) finishSession(ctx context.Context, w http.ResponseWriter, r *http.Request, s *session, c kassa.SavedCard) {
	if err := g.completeSession(s.Ref, c); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	setup := setupRef(s.Ref)
	g.emit(ctx, "setup_intent.succeeded", map[string]any{"id": setup, "object": "setup_intent", "status": "succeeded", "payment_method": c.Ref})
	g.emit(ctx, "checkout.session.completed", map[string]any{"id": s.Ref, "object": "checkout.session", "mode": "setup",
		"status": "complete", "setup_intent": setup, "customer": s.Customer})
	http.Redirect(w, r, s.Return, http.StatusSeeOther)
}

func (g *Gateway) bankPage(w http.ResponseWriter, r *http.Request) {
	h, ok := g.findHeld(r.PathValue("ref"))
	if !ok {
		notFound(w)
		return
	}
	// The bank speaks the browser's language, as a bank's page does.
	wd := locale.In(locale.Pick(r.URL.Query().Get("lang"), r.Header.Get("Accept-Language"), locale.English))
	p := &page{W: wd, Title: wd.T("simulator.bank.title"), Action: r.URL.Path, Bank: true,
		Amount: locale.FormatMoney(h.Money(), wd.Lang()), Card: cardWords(h.Card)}
	if h.status != kassa.PaymentRequiresAction {
		p.Outcome, p.Cancel = wd.T("simulator.bank.over"), h.Return
	}
	render(w, http.StatusOK, p)
}

func (g *Gateway) submitBank(w http.ResponseWriter, r *http.Request) {
	ref := r.PathValue("ref")
	h, ok := g.findHeld(ref)
	if !ok {
		notFound(w)
		return
	}
	status, decline := kassa.PaymentDeclined, kassa.DeclineAuthenticationFailed
	if r.PostFormValue("action") == "complete" {
		status, decline = kassa.PaymentSucceeded, ""
	}
	p, err := g.resolve(r.Context(), ref, status, decline)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	typ := map[string]string{kassa.PaymentSucceeded: "payment_intent.succeeded", kassa.PaymentDeclined: "payment_intent.payment_failed",
		kassa.PaymentCanceled: "payment_intent.canceled"}[p.Status]
	if typ != "" && h.status == kassa.PaymentRequiresAction {
		g.emit(r.Context(), typ, map[string]any{"id": ref, "object": "payment_intent", "status": p.Status,
			"amount": p.Amount.Amount, "currency": strings.ToLower(p.Amount.Currency)})
	}
	http.Redirect(w, r, withPayment(h.Return, ref), http.StatusSeeOther)
}

// withPayment adds the payment's reference to the return URL, as Stripe
// adds ?payment_intent=….
func withPayment(u, ref string) string {
	sep := "?"
	if strings.Contains(u, "?") {
		sep = "&"
	}
	return u + sep + "payment_intent=" + url.QueryEscape(ref)
}

// declineWords says why a card was refused, in words people read.
func declineWords(wd locale.Words, reason string) string {
	switch reason {
	case kassa.DeclineInsufficientFunds:
		return wd.T("decline.insufficient_funds")
	case kassa.DeclineCardDeclined:
		return wd.T("decline.card_declined")
	}
	return wd.T("decline.other")
}

// cardWords names a saved card by its brand.
func cardWords(ref string) string {
	c, err := parseRef(ref)
	if err != nil {
		return ""
	}
	return string(c.brand)
}

// emit signs an event about object and hands it to kassa, as a processor
// posts its events; one kassa does not take is logged, and kassa finds
// what it was about by reading the payment or card page again.
func (g *Gateway) emit(ctx context.Context, typ string, object map[string]any) {
	g.mu.Lock()
	g.events++
	deliver, secret, log, n := g.deliver, g.secret, g.log, g.events
	g.mu.Unlock()
	if deliver == nil {
		return
	}
	payload, err := json.Marshal(map[string]any{"id": "evt_sim_" + random(), "object": "event", "type": typ,
		"api_version": "simulator", "created": time.Now().Unix(), "livemode": false, "pending_webhooks": 1,
		"data": map[string]any{"object": object}})
	if err != nil {
		return
	}
	if err := deliver(context.WithoutCancel(ctx), payload, events.Sign(payload, secret, time.Now())); err != nil {
		log.Warn("simulator: event not taken", "type", typ, "n", n, "err", err)
	}
}
