// Package web serves kassa's pages. (Placeholder until the pages land.)
package web

import (
	"log/slog"
	"net/http"

	"github.com/kassa-billing/kassa/auth"
	"github.com/kassa-billing/kassa/sqldb"
)

// Config is what the pages need.
type Config struct {
	DB           *sqldb.DB
	Auth         *auth.Auth
	Log          *slog.Logger
	SupportEmail string
}

// New returns the handler of every page.
func New(cfg Config) http.Handler { return http.NotFoundHandler() }
