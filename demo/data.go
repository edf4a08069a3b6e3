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
			tenant: &kassa.Tenant{Name: "Nordvik AB", Country: "SE", Currency: "SEK", Locale: "sv",
				VATID: "SE556677889901", SupportEmail: "it@nordvik.example", Domains: []string{"nordvik.example"},
				Address: kassa.Address{Line1: "Storgatan 12", City: "Stockholm", PostalCode: "111 22", Country: "SE"}},
			users: nordvik,
			policies: map[string]kassa.PurchasePolicy{
				"DIAGRAM_STUDIO": kassa.PolicyTrialsOnly,
				"MAIL_ARCHIVE":   kassa.PolicyDisabled,
			},
		},
		{
			tenant: &kassa.Tenant{Name: "Harbor Labs Inc.", Country: "US", Currency: "USD", Locale: "en",
				Domains: []string{"harbor.example"}},
			users: harbor,
		},
	}
}
