package web

import (
	"net/http"

	"github.com/kassa-billing/kassa"
)

// Licenses by group (SPEC §12) on an admin-managed subscription's page: the
// panel says which directory group gives its licenses and who waits, and
// the pane links one (or another) or unlinks it.

// GroupPanel is the Licenses by group panel.
type GroupPanel struct {
	Href              string // the pane
	Name              string // the linked group's, "" when none is linked
	Licensed, Waiting int
}

// GroupForm is the pane: the tenant's directory groups to pick from, and
// the members of the linked one who wait for a license, with why.
type GroupForm struct {
	Group     Field
	NoGroups  bool
	Linked    bool
	Waiting   []WaitingMember
	More      int // waiting members not shown
	FormError string
}

// WaitingMember is a member of the linked group without a license.
type WaitingMember struct{ Name, Email, Why string }

// groupWaitingShown is how many waiting members the pane lists.
const groupWaitingShown = 50

// memberStateKeys say why a member waits.
var memberStateKeys = map[kassa.MemberState]string{
	kassa.MemberNoFreeLicense: msg("group.state.no_free_license"),
	kassa.MemberGuest:         msg("group.state.guest"),
	kassa.MemberDisabled:      msg("group.state.disabled"),
}

// groupPanel sets the panel of p for sub.
func (s *server) groupPanel(r *http.Request, p *SubscriptionPage, sub *kassa.Subscription) error {
	p.Group = &GroupPanel{Href: subscriptionsPath + "/" + sub.ID + "/group"}
	l, err := s.db.FindGroupLink(r.Context(), sub.ID)
	switch kassa.ErrorCode(err) {
	case "":
		p.Group.Name, p.Group.Licensed, p.Group.Waiting = l.GroupName, l.Licensed, l.Waiting
	case kassa.NotFound:
	default:
		return err
	}
	return nil
}

// groupPane opens the pane on p with chosen picked.
func (s *server) groupPane(r *http.Request, p *SubscriptionPage, sub *kassa.Subscription, chosen string) error {
	a := p.Actor
	f := &GroupForm{Group: Field{ID: "link-group", Name: "group_id", Label: p.T("group.field"), Hint: p.T("group.field.hint")}}
	l, err := s.db.FindGroupLink(r.Context(), sub.ID)
	if err == nil {
		f.Linked = true
		if chosen == "" {
			chosen = l.GroupID
		}
		ms, err := s.db.FindGroupMembers(r.Context(), sub.ID, "", groupWaitingShown, true)
		if err != nil {
			return err
		}
		for _, m := range ms {
			f.Waiting = append(f.Waiting, WaitingMember{Name: m.Name, Email: m.Email, Why: p.T(memberStateKeys[m.State])})
		}
		f.More = max(0, l.Waiting-len(f.Waiting))
	} else if kassa.ErrorCode(err) != kassa.NotFound {
		return err
	}
	groups, _, err := s.db.FindGroups(r.Context(), a.Tenant.ID, kassa.GroupFilter{}, 0, 500, false)
	if err != nil {
		return err
	}
	for _, g := range groups {
		f.Group.Options = append(f.Group.Options, Option{Value: g.ID, Label: g.DisplayName, Selected: g.ID == chosen})
	}
	f.NoGroups = len(groups) == 0
	p.Pane, p.GroupForm = "group", f
	return nil
}

// groupPage loads the page for the pane: an admin-managed subscription the
// reader manages.
func (s *server) groupPage(r *http.Request) (*SubscriptionPage, *kassa.Subscription, error) {
	p, sub, err := s.managedPage(r)
	if err != nil {
		return nil, nil, err
	}
	if p.Group == nil {
		return nil, nil, errReadOnly
	}
	return p, sub, nil
}

func (s *server) groupForm(w http.ResponseWriter, r *http.Request) error {
	p, sub, err := s.groupPage(r)
	if err != nil {
		return err
	}
	if err := s.groupPane(r, p, sub, ""); err != nil {
		return err
	}
	return s.render(w, http.StatusOK, p)
}

func (s *server) linkGroup(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	p, sub, err := s.groupPage(r)
	if err != nil {
		return err
	}
	chosen := r.PostForm.Get("group_id")
	_, err = s.db.LinkGroup(r.Context(), sub.ID, chosen)
	if err == nil {
		return seeOther(w, r, p.Sub.Href+"?done=group_linked")
	}
	if perr := s.groupPane(r, p, sub, chosen); perr != nil {
		return perr
	}
	switch kassa.ErrorCode(err) {
	case kassa.Invalid:
		p.GroupForm.Group.Error, p.GroupForm.Group.Autofocus = p.tr.Error(err), true
		return s.render(w, http.StatusUnprocessableEntity, p)
	case kassa.Conflict:
		p.GroupForm.FormError = p.tr.Error(err)
		return s.render(w, http.StatusConflict, p)
	}
	return err
}

func (s *server) unlinkGroup(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	p, sub, err := s.groupPage(r)
	if err != nil {
		return err
	}
	if err := s.db.UnlinkGroup(r.Context(), sub.ID); err != nil && kassa.ErrorCode(err) != kassa.NotFound {
		return err
	}
	return seeOther(w, r, p.Sub.Href+"?done=group_unlinked")
}
