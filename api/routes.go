package api

import "net/http"

type route struct {
	method, path string
	handler      handlerFunc
	public       bool // served without signing in
}

// routes is the API's route table. openapi.json documents each of them.
func (s *Server) routes() []route {
	return []route{
		{method: http.MethodGet, path: "/api/v1/openapi.json", handler: s.openAPI, public: true},
		{method: http.MethodPost, path: "/api/v1/login", handler: s.login, public: true},
		{method: http.MethodPost, path: "/api/v1/logout", handler: s.logout},
		{method: http.MethodGet, path: "/api/v1/me", handler: s.me},
		{method: http.MethodGet, path: "/api/v1/users", handler: s.users},
		{method: http.MethodGet, path: "/api/v1/products", handler: s.products},
	}
}
