package web

import (
	"net/http"

	"github.com/kassa-billing/kassa"
)

// Take over: an admin takes a self-service subscription over from its
// purchaser. The subscription's page opens a pane that says what that
// means; its button posts, and the page comes back with the admin managing
// the subscription. Both routes are adminOnly.

// takeOverPage loads the subscription's page for the take-over pane; one
// that cannot be taken over (admin-managed already, or ended) gets the
// page with the reason instead of the pane, and status 409.
func (s *server) takeOverPage(r *http.Request) (*SubscriptionPage, int, error) {
	p, sub, err := s.subscriptionPage(r)
	if err != nil {
		return nil, 0, err
	}
	if p.TakeOver == "" {
		p.Error = takeOverRefusal(&p.Layout, sub)
		return p, http.StatusConflict, nil
	}
	p.Pane = "take_over"
	return p, http.StatusOK, nil
}

// takeOverRefusal says why sub cannot be taken over.
func takeOverRefusal(l *Layout, sub *kassa.Subscription) string {
	if sub.Channel == kassa.AdminManaged {
		return l.T("take_over.error.already")
	}
	return l.T("take_over.error.ended", "Status", statusText(l, sub.Status))
}

func (s *server) takeOverForm(w http.ResponseWriter, r *http.Request) error {
	p, status, err := s.takeOverPage(r)
	if err != nil {
		return err
	}
	return s.render(w, status, p)
}

func (s *server) takeOver(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	_, err := s.db.TakeOver(r.Context(), r.PathValue("id"))
	if kassa.ErrorCode(err) == kassa.Conflict {
		// Taken over by another admin meanwhile, or ended: the page as it
		// is now says which.
		p, sub, err := s.subscriptionPage(r)
		if err != nil {
			return err
		}
		p.Error = takeOverRefusal(&p.Layout, sub)
		return s.render(w, http.StatusConflict, p)
	} else if err != nil {
		return err
	}
	return seeOther(w, r, subscriptionsPath+"/"+r.PathValue("id")+"?done=taken_over")
}
