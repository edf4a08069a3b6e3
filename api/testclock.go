package api

import (
	"net/http"
	"time"

	"github.com/kassa-billing/kassa"
)

// testClock moves the test clock forward and runs the billing work falling
// due up to the new time, in time order, before answering. It exists only
// when kassa serves with --test-clock; otherwise it answers 404.
func (s *Server) testClock(w http.ResponseWriter, r *http.Request) error {
	if s.clock == nil {
		return kassa.E(kassa.NotFound, "error.test_clock.off")
	}
	if !actor(r.Context()).User.IsAdmin() {
		return kassa.E(kassa.Forbidden, "error.test_clock.admins_only")
	}
	var req struct {
		Now string `json:"now"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	now, err := time.Parse(time.RFC3339, req.Now)
	if err != nil || now.UTC().Year() > 9999 { // beyond, by its offset: times cannot be written in RFC 3339
		return kassa.InvalidE("now", "error.test_clock.now")
	}
	if now.Before(s.clock.Now()) {
		return kassa.InvalidE("now", "error.clock.backwards", "Time", s.clock.Now().Format(time.RFC3339))
	}
	ran, err := s.billing.RunDue(r.Context(), now, s.clock.Set)
	if err != nil {
		return err
	}
	if err := s.clock.Set(now); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		Now time.Time `json:"now"`
		Ran int       `json:"ran"`
	}{s.clock.Now(), ran})
	return nil
}
