package demo

import (
	"strings"

	"github.com/kassa-billing/kassa"
)

type demoTenant struct {
	tenant   *kassa.Tenant
	users    []*kassa.User // the first admin signs the policies
	policies map[string]kassa.PurchasePolicy
}

// nordvikMembers are Nordvik's further members. Several share the start of a
// first name (Anna, Annika, Anneli; Erik, Erika, Eric; Jo…; Ma…), so that a
// typeahead has something to narrow.
var nordvikMembers = []string{
	"Anna Lindberg", "Annika Holm", "Anneli Sjöberg", "Anders Nyström", "Erika Sandberg",
	"Eric Wallin", "Emma Lundqvist", "Elin Hedlund", "Johan Berglund", "Johanna Åkesson",
	"Jonas Ekström", "Josefin Dahl", "Maria Nilsson", "Marie Öhman", "Mattias Holmberg",
	"Magnus Fransson", "Malin Engström", "Karin Lindholm", "Karl Björk", "Kristina Söderberg",
	"Lars Pettersson", "Lena Axelsson", "Linnea Forsberg", "Lina Hermansson", "Per Jonsson",
	"Peter Sundberg", "Petra Blom", "Sara Lindgren", "Sofia Strand", "Sven Persson",
	"Ulf Gustafsson", "Ulrika Nordin", "Åsa Östlund", "Örjan Hägglund", "Björn Sjögren",
	"Birgitta Mårtensson", "Gustav Ahlström", "Gunilla Ek", "Ingrid Wikström", "Ingemar Lundin",
	"Ebba Nordström", "Oskar Lindahl", "Olof Hellström", "Anna-Karin Bergström",
}

var harborMembers = []string{
	"Olivia Parker", "Noah Bennett", "Ava Sullivan", "Liam Foster", "Mia Brooks", "Ethan Hayes",
}

func member(name, email string) *kassa.User {
	return &kassa.User{Name: name, Email: email, Type: kassa.Member, Status: kassa.Active, Role: kassa.RoleUser}
}

// emailFor makes "Åsa Östlund" into "asa.ostlund@domain".
func emailFor(name, domain string) string {
	local := strings.NewReplacer(" ", ".", "-", "").Replace(kassa.FoldAccents(name))
	return local + "@" + domain
}

func tenants() []demoTenant {
	astrid := member("Astrid Lindqvist", "astrid@nordvik.example")
	astrid.Role = kassa.RoleAdmin
	nordvik := []*kassa.User{astrid, member("Erik Johansson", "erik@nordvik.example")}
	for _, n := range nordvikMembers {
		nordvik = append(nordvik, member(n, emailFor(n, "nordvik.example")))
	}
	guest := member("Greta Gästsson", "gast@partner.example")
	guest.Type = kassa.Guest
	former := member("Fredrik Forsman", "former@nordvik.example")
	former.Status = kassa.Disabled
	nordvik = append(nordvik, guest, former)

	hannah := member("Hannah Reed", "hannah@harbor.example")
	hannah.Role = kassa.RoleAdmin
	harbor := []*kassa.User{hannah, member("Mike Alvarez", "mike@harbor.example")}
	for _, n := range harborMembers {
		harbor = append(harbor, member(n, emailFor(n, "harbor.example")))
	}

	return []demoTenant{
		{
			tenant: &kassa.Tenant{Name: "Nordvik AB", Country: "SE", Currency: "SEK", Locale: "sv"},
			users:  nordvik,
			policies: map[string]kassa.PurchasePolicy{
				"DIAGRAM_STUDIO": kassa.PolicyTrialsOnly,
				"MAIL_ARCHIVE":   kassa.PolicyDisabled,
			},
		},
		{
			tenant: &kassa.Tenant{Name: "Harbor Labs Inc.", Country: "US", Currency: "USD", Locale: "en"},
			users:  harbor,
		},
	}
}

// prices returns monthly and annual prices in SEK, USD and EUR from monthly
// amounts in minor units; a year costs ten months.
func prices(sek, usd, eur int64) []kassa.Price {
	var ps []kassa.Price
	for _, p := range []struct {
		cur string
		amt int64
	}{{"SEK", sek}, {"USD", usd}, {"EUR", eur}} {
		ps = append(ps,
			kassa.Price{Term: kassa.Monthly, Currency: p.cur, UnitAmount: p.amt},
			kassa.Price{Term: kassa.Annual, Currency: p.cur, UnitAmount: p.amt * 10})
	}
	return ps
}

func catalog() []*kassa.Product {
	return []*kassa.Product{
		{
			SKU:  "ANALYTICS_PRO",
			Name: kassa.Text{En: "Analytics Pro", Sv: "Analytics Pro"},
			Description: kassa.Text{
				En: "Dashboards, scheduled reports and data connectors for your team.",
				Sv: "Instrumentpaneler, schemalagda rapporter och datakopplingar för ditt team.",
			},
			TrialDays: 30,
			Prices:    prices(23900, 2200, 2100),
		},
		{
			SKU:  "PROJECT_PLAN",
			Name: kassa.Text{En: "Project Plan", Sv: "Projektplanering"},
			Description: kassa.Text{
				En: "Plans, timelines and shared task boards.",
				Sv: "Planer, tidslinjer och delade uppgiftstavlor.",
			},
			TrialDays: 30,
			Prices:    prices(11900, 1100, 1050),
		},
		{
			SKU:  "DIAGRAM_STUDIO",
			Name: kassa.Text{En: "Diagram Studio", Sv: "Diagramstudio"},
			Description: kassa.Text{
				En: "Flowcharts, floor plans and network diagrams, drawn together.",
				Sv: "Flödesscheman, planritningar och nätverksdiagram som ni ritar tillsammans.",
			},
			TrialDays: 30,
			Prices:    prices(17900, 1650, 1550),
		},
		{
			SKU:  "MAIL_ARCHIVE",
			Name: kassa.Text{En: "Secure Mail Archive", Sv: "Säkert e-postarkiv"},
			Description: kassa.Text{
				En: "Tamper-proof archiving and search of every email.",
				Sv: "Manipuleringssäker arkivering och sökning av all e-post.",
			},
			Prices: prices(5900, 550, 520),
		},
		{
			SKU:  "MEETING_ROOMS",
			Name: kassa.Text{En: "Meeting Rooms", Sv: "Mötesrum"},
			Description: kassa.Text{
				En: "Video meeting rooms with recording and live captions.",
				Sv: "Videomötesrum med inspelning och direkttextning.",
			},
			Prices: prices(29900, 2750, 2600),
		},
	}
}
