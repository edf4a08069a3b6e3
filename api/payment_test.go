package api

import (
	"net/http"
	"strings"
	"testing"

	"github.com/kassa-billing/kassa"
)

type paymentMethodOut struct {
	ID, Type, Brand, Last4, Name string
	ExpMonth                     int `json:"exp_month"`
	ExpYear                      int `json:"exp_year"`
	Address                      kassa.Address
}

type profileOut struct {
	ID, Name, Email, Currency string
	PONumber                  string  `json:"po_number"`
	PaymentMethodID           *string `json:"payment_method_id"`
	Balance                   kassa.Money
	Address                   kassa.Address
}

var stockholm = map[string]string{"line1": "Drottninggatan 1", "line2": "", "city": "Stockholm", "postal_code": "111 51", "country": "SE"}

func cardBody(number, cvc string) map[string]any {
	return map[string]any{
		"card":    map[string]any{"number": number, "exp_month": 12, "exp_year": 2030, "cvc": cvc, "name": "Erik Johansson"},
		"address": stockholm,
	}
}

func (ts *testServer) addCard(token, number, cvc string) paymentMethodOut {
	ts.t.Helper()
	res := ts.do("POST", "/api/v1/payment-methods", token, cardBody(number, cvc))
	if res.status != http.StatusCreated {
		ts.t.Fatalf("add card %s: %d %s", number, res.status, res.body)
	}
	var m paymentMethodOut
	mustUnmarshal(ts.t, res.body, &m)
	return m
}

func TestPaymentMethods(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	erik := ts.login("erik@nordvik.example")

	var list struct{ Data []paymentMethodOut }
	mustUnmarshal(t, ts.do("GET", "/api/v1/payment-methods", erik, nil).body, &list)
	if len(list.Data) != 1 || list.Data[0].Brand != "visa" || list.Data[0].Last4 != "4242" {
		t.Fatalf("erik's demo cards = %+v, want the Visa 4242", list.Data)
	}
	demoCard := list.Data[0]

	mc := ts.addCard(erik, "5555 5555 5555 4444", "737")
	if mc.Brand != "mastercard" || mc.Last4 != "4444" || mc.Type != "card" || mc.Address.City != "Stockholm" {
		t.Errorf("added %+v", mc)
	}
	amex := ts.addCard(erik, "3782 822463 10005", "1234")
	if amex.Brand != "amex" {
		t.Errorf("added %+v, want amex", amex)
	}

	t.Run("BadCardsNameTheField", func(t *testing.T) {
		for _, tt := range []struct {
			name  string
			body  any
			field string
		}{
			{"Luhn", cardBody("4242 4242 4242 4241", "123"), "card.number"},
			{"Brand", cardBody("6011 1111 1111 1117", "123"), "card.number"},
			{"CVCLength", cardBody("4242 4242 4242 4242", "12"), "card.cvc"},
			{"AmexCVC", cardBody("378282246310005", "123"), "card.cvc"},
			{"Expired", map[string]any{"card": map[string]any{"number": "4242424242424242", "exp_month": 10, "exp_year": 2026, "cvc": "123", "name": "E"}, "address": stockholm}, "card.exp_year"},
			{"Month", map[string]any{"card": map[string]any{"number": "4242424242424242", "exp_month": 13, "exp_year": 2030, "cvc": "123", "name": "E"}, "address": stockholm}, "card.exp_month"},
			{"NoName", map[string]any{"card": map[string]any{"number": "4242424242424242", "exp_month": 1, "exp_year": 2030, "cvc": "123"}, "address": stockholm}, "card.name"},
			{"NoAddress", map[string]any{"card": map[string]any{"number": "4242424242424242", "exp_month": 1, "exp_year": 2030, "cvc": "123", "name": "E"}}, "address.line1"},
			{"MonthAsString", `{"card":{"number":"4242424242424242","exp_month":"12","exp_year":2030,"cvc":"123","name":"E"}}`, "card.exp_month"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				wantError(t, ts.do("POST", "/api/v1/payment-methods", erik, tt.body), 422, kassa.Invalid, tt.field)
			})
		}
	})

	t.Run("RefusedCardsNameTheReason", func(t *testing.T) {
		for number, reason := range map[string]string{"4000000000000002": "card_declined", "4000000000009995": "insufficient_funds"} {
			res := ts.do("POST", "/api/v1/payment-methods", erik, cardBody(number, "123"))
			wantError(t, res, 402, kassa.PaymentFailed, "")
			if !strings.Contains(string(res.body), reason) {
				t.Errorf("%s: %s does not name %s", number, res.body, reason)
			}
		}
	})

	t.Run("Update", func(t *testing.T) {
		res := ts.do("PATCH", "/api/v1/payment-methods/"+mc.ID, erik, map[string]any{
			"exp_month": 3, "exp_year": 2031, "name": "E. Johansson",
			"address": map[string]string{"line1": "Kungsgatan 2", "city": "Göteborg", "postal_code": "411 19", "country": "SE"},
		})
		var m paymentMethodOut
		mustUnmarshal(t, res.body, &m)
		if res.status != 200 || m.ExpMonth != 3 || m.ExpYear != 2031 || m.Name != "E. Johansson" || m.Address.City != "Göteborg" || m.Last4 != "4444" {
			t.Fatalf("update = %d %s", res.status, res.body)
		}
		for _, tt := range []struct {
			body  string
			field string
		}{
			{`{"number":"4242424242424242"}`, "number"},
			{`{"cvc":"1234"}`, "cvc"},
			{`{"exp_month":9,"exp_year":2026}`, "exp_year"},
			{`{"exp_month":0}`, "exp_month"},
			{`{"name":"  "}`, "name"},
			{`{"address":{"line1":"x","city":"y","postal_code":"1","country":"Sweden"}}`, "address.country"},
		} {
			wantError(t, ts.do("PATCH", "/api/v1/payment-methods/"+mc.ID, erik, tt.body), 422, kassa.Invalid, tt.field)
		}
		mustUnmarshal(t, ts.do("GET", "/api/v1/payment-methods", erik, nil).body, &list)
		for _, got := range list.Data {
			if got.ID == mc.ID && (got.ExpYear != 2031 || got.Name != "E. Johansson") {
				t.Errorf("a refused update changed the card: %+v", got)
			}
		}
	})

	t.Run("OnlyTheOwnerSeesAndChanges", func(t *testing.T) {
		for _, who := range []string{"astrid@nordvik.example", "anna.lindberg@nordvik.example", "hannah@harbor.example"} {
			token := ts.login(who)
			var theirs struct{ Data []paymentMethodOut }
			mustUnmarshal(t, ts.do("GET", "/api/v1/payment-methods", token, nil).body, &theirs)
			if len(theirs.Data) != 0 {
				t.Errorf("%s sees %d payment methods", who, len(theirs.Data))
			}
			wantError(t, ts.do("PATCH", "/api/v1/payment-methods/"+mc.ID, token, `{"name":"x"}`), 404, kassa.NotFound, "")
			wantError(t, ts.do("DELETE", "/api/v1/payment-methods/"+mc.ID, token, nil), 404, kassa.NotFound, "")
		}
	})

	t.Run("GuestsKeepNoCards", func(t *testing.T) {
		wantError(t, ts.do("POST", "/api/v1/payment-methods", ts.login("gast@partner.example"), cardBody("4242424242424242", "123")), 403, kassa.Forbidden, "")
	})

	t.Run("DeleteOnlyWhenUnused", func(t *testing.T) {
		used := demoCard.ID // erik's profile pays with it
		wantError(t, ts.do("DELETE", "/api/v1/payment-methods/"+used, erik, nil), 409, kassa.Conflict, "")
		if res := ts.do("DELETE", "/api/v1/payment-methods/"+amex.ID, erik, nil); res.status != 204 {
			t.Fatalf("delete unused = %d %s", res.status, res.body)
		}
		wantError(t, ts.do("DELETE", "/api/v1/payment-methods/"+amex.ID, erik, nil), 404, kassa.NotFound, "")
		wantError(t, ts.do("DELETE", "/api/v1/payment-methods/nonsense", erik, nil), 404, kassa.NotFound, "")
	})
}

func TestBillingProfiles(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	erik := ts.login("erik@nordvik.example")

	var list struct{ Data []profileOut }
	mustUnmarshal(t, ts.do("GET", "/api/v1/billing-profiles", erik, nil).body, &list)
	if len(list.Data) != 1 || list.Data[0].PaymentMethodID == nil || list.Data[0].Balance != (kassa.Money{Currency: "SEK"}) {
		t.Fatalf("erik's demo profiles = %+v", list.Data)
	}
	demoProfile := list.Data[0]

	card := ts.addCard(erik, "5555555555554444", "123")
	res := ts.do("POST", "/api/v1/billing-profiles", erik, map[string]any{
		"name": "Marketing", "email": "Marketing@Nordvik.example", "address": stockholm,
		"po_number": "PO-1", "payment_method_id": card.ID,
	})
	var p profileOut
	mustUnmarshal(t, res.body, &p)
	if res.status != 201 || p.Currency != "SEK" || p.Email != "marketing@nordvik.example" || *p.PaymentMethodID != card.ID {
		t.Fatalf("create = %d %s", res.status, res.body)
	}

	t.Run("GetByID", func(t *testing.T) {
		var got profileOut
		mustUnmarshal(t, ts.do("GET", "/api/v1/billing-profiles/"+p.ID, erik, nil).body, &got)
		if got.Name != "Marketing" || got.PONumber != "PO-1" {
			t.Errorf("get = %+v", got)
		}
	})

	t.Run("ReplacePaymentMethod", func(t *testing.T) {
		next := ts.addCard(erik, "4242424242424242", "123")
		res := ts.do("PATCH", "/api/v1/billing-profiles/"+p.ID, erik, map[string]any{"payment_method_id": next.ID})
		var got profileOut
		mustUnmarshal(t, res.body, &got)
		if res.status != 200 || *got.PaymentMethodID != next.ID || got.Name != "Marketing" {
			t.Fatalf("replace = %d %s", res.status, res.body)
		}
		// The card it paid with before is free now, and can go.
		if res := ts.do("DELETE", "/api/v1/payment-methods/"+card.ID, erik, nil); res.status != 204 {
			t.Errorf("delete the replaced card = %d %s", res.status, res.body)
		}
	})

	t.Run("BadInputNamesTheFieldAndChangesNothing", func(t *testing.T) {
		for _, tt := range []struct {
			body  any
			field string
		}{
			{map[string]any{"name": ""}, "name"},
			{map[string]any{"email": "nope"}, "email"},
			{map[string]any{"address": map[string]string{"line1": "x", "city": "", "postal_code": "1", "country": "SE"}}, "address.city"},
			{map[string]any{"po_number": strings.Repeat("x", 101)}, "po_number"},
			{map[string]any{"payment_method_id": ""}, "payment_method_id"},
			{map[string]any{"payment_method_id": "pm_0000000000000000000"}, "payment_method_id"},
			{map[string]any{"name": "Ok", "balance": 100}, "balance"},
		} {
			wantError(t, ts.do("PATCH", "/api/v1/billing-profiles/"+p.ID, erik, tt.body), 422, kassa.Invalid, tt.field)
		}
		var got profileOut
		mustUnmarshal(t, ts.do("GET", "/api/v1/billing-profiles/"+p.ID, erik, nil).body, &got)
		if got.Name != "Marketing" || got.Email != "marketing@nordvik.example" || got.Address.City != "Stockholm" {
			t.Errorf("a refused update changed the profile: %+v", got)
		}
		wantError(t, ts.do("POST", "/api/v1/billing-profiles", erik, map[string]any{"name": "x", "email": "a@b.c"}), 422, kassa.Invalid, "address.line1")
	})

	t.Run("AnotherUsersCardIsNotYours", func(t *testing.T) {
		mike := ts.login("mike@harbor.example")
		mikes := ts.addCard(mike, "4242424242424242", "123")
		wantError(t, ts.do("PATCH", "/api/v1/billing-profiles/"+p.ID, erik, map[string]any{"payment_method_id": mikes.ID}), 422, kassa.Invalid, "payment_method_id")
		res := ts.do("POST", "/api/v1/billing-profiles", mike, map[string]any{
			"name": "Harbor", "email": "mike@harbor.example", "payment_method_id": card.ID,
			"address": map[string]string{"line1": "1 Pier St", "city": "Boston", "postal_code": "02110", "country": "US"},
		})
		wantError(t, res, 422, kassa.Invalid, "payment_method_id")
	})

	t.Run("OneCardPaysForAnyOfTheirProfiles", func(t *testing.T) {
		// As in Microsoft 365: the demo profile's card pays for this one too.
		res := ts.do("PATCH", "/api/v1/billing-profiles/"+p.ID, erik, map[string]any{"payment_method_id": *demoProfile.PaymentMethodID})
		var got profileOut
		mustUnmarshal(t, res.body, &got)
		if res.status != 200 || got.PaymentMethodID == nil || *got.PaymentMethodID != *demoProfile.PaymentMethodID {
			t.Fatalf("a second profile paying with the demo card: %d %s", res.status, res.body)
		}
	})

	t.Run("OtherPeoplesProfilesAreNotFound", func(t *testing.T) {
		for _, who := range []string{"astrid@nordvik.example", "mike@harbor.example"} {
			token := ts.login(who)
			wantError(t, ts.do("GET", "/api/v1/billing-profiles/"+p.ID, token, nil), 404, kassa.NotFound, "")
			wantError(t, ts.do("PATCH", "/api/v1/billing-profiles/"+p.ID, token, `{"name":"mine"}`), 404, kassa.NotFound, "")
		}
	})
}
