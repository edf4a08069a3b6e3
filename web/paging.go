package web

import (
	"context"
	"maps"
	"net/url"
	"strconv"

	"github.com/kassa-billing/kassa"
)

// subscriptionsPerPage is how many subscriptions a page of Billing ›
// Licenses or Billing › Products lists. An admin's list every subscription
// of the organization, so they are paged as the API's lists are (SPEC §11):
// no page grows with the organization.
const subscriptionsPerPage = 50

// Pager is the links to the pages before and after a page of a list; ""
// at either end.
type Pager struct{ Prev, Next string }

// pageNumber reads a list's ?page=: 1 when it is absent or no page number.
func pageNumber(q url.Values) int {
	n, err := strconv.Atoi(q.Get("page"))
	if err != nil || n < 1 {
		return 1
	}
	return n
}

// pageOfSubscriptions reads the page of f that q asks for (?page=), newest
// first, with the links around it: path with keep's parameters and the
// page's number. A page past the end (its rows went away) shows the first.
func (s *server) pageOfSubscriptions(ctx context.Context, path string, q, keep url.Values, f kassa.SubscriptionFilter) ([]*kassa.Subscription, Pager, error) {
	page := pageNumber(q)
	f.Offset, f.Limit = (page-1)*subscriptionsPerPage, subscriptionsPerPage+1 // one more says a page follows
	subs, err := s.db.FindSubscriptions(ctx, f)
	if err == nil && len(subs) == 0 && page > 1 {
		page, f.Offset = 1, 0
		subs, err = s.db.FindSubscriptions(ctx, f)
	}
	if err != nil {
		return nil, Pager{}, err
	}
	link := func(n int) string {
		v := maps.Clone(keep)
		if v == nil {
			v = url.Values{}
		}
		if n > 1 {
			v.Set("page", strconv.Itoa(n))
		}
		return withQuery(path, v)
	}
	var p Pager
	if page > 1 {
		p.Prev = link(page - 1)
	}
	if len(subs) > subscriptionsPerPage {
		subs, p.Next = subs[:subscriptionsPerPage], link(page+1)
	}
	return subs, p, nil
}
