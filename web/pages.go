package web

import (
	"net/http"

	"github.com/kassa-billing/kassa"
)

func (s *server) home(w http.ResponseWriter, r *http.Request) error {
	http.Redirect(w, r, "/billing/products", http.StatusSeeOther)
	return nil
}

func (s *server) notFound(w http.ResponseWriter, r *http.Request) error {
	return kassa.E(kassa.NotFound, "error.page.not_found")
}

// HelpPage is Need help?: answers to common questions about self-service
// purchases and how to reach support.
type HelpPage struct {
	Layout
	SupportEmail string
}

func (*HelpPage) template() string { return "help.html" }

func (s *server) help(w http.ResponseWriter, r *http.Request) error {
	return s.render(w, http.StatusOK, &HelpPage{Layout: s.layout(r, msg("nav.help")), SupportEmail: s.supportEmail})
}
