package api

import (
	"net/http"
	"time"

	"github.com/kassa-billing/kassa"
)

// Licenses by group (SPEC §12): PUT and DELETE
// /api/v1/admin/subscriptions/{id}/group, GET …/group-states.

type groupLinkJSON struct {
	SubscriptionID string    `json:"subscription_id"`
	Group          groupRef  `json:"group"`
	LinkedAt       time.Time `json:"linked_at"`
	Licensed       int       `json:"licensed"`
	Waiting        int       `json:"waiting"`
}

type groupRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

func newGroupLinkJSON(l *kassa.GroupLink) groupLinkJSON {
	return groupLinkJSON{SubscriptionID: l.SubscriptionID, Group: groupRef{ID: l.GroupID, Name: l.GroupName},
		LinkedAt: l.LinkedAt, Licensed: l.Licensed, Waiting: l.Waiting}
}

func (s *Server) linkGroup(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		GroupID string `json:"group_id"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.GroupID == "" {
		return kassa.InvalidE("group_id", "error.group_link.unknown")
	}
	l, err := s.db.LinkGroup(r.Context(), r.PathValue("id"), req.GroupID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newGroupLinkJSON(l))
	return nil
}

func (s *Server) unlinkGroup(w http.ResponseWriter, r *http.Request) error {
	if err := s.db.UnlinkGroup(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type groupMemberJSON struct {
	User  userRefJSON       `json:"user"`
	State kassa.MemberState `json:"state"`
}

// groupStates lists the linked group's members, each `licensed` or why
// not, in the order of their names; waiting=true leaves out the licensed.
func (s *Server) groupStates(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	limit, err := queryLimit(q.Get("limit"), 100, 1000)
	if err != nil {
		return err
	}
	waiting, err := queryBool(q, "waiting")
	if err != nil {
		return err
	}
	ms, err := s.db.FindGroupMembers(r.Context(), r.PathValue("id"), q.Get("cursor"), limit+1, waiting)
	if err != nil {
		return err
	}
	next := ""
	if len(ms) > limit {
		ms, next = ms[:limit], ms[limit-1].ID
	}
	data := make([]groupMemberJSON, len(ms))
	for i, m := range ms {
		data[i] = groupMemberJSON{User: userRefJSON{ID: m.ID, Name: m.Name, Email: m.Email}, State: m.State}
	}
	writeJSON(w, http.StatusOK, newList(data, next))
	return nil
}
