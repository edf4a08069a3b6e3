package kassa

import "context"

// Actor is who a request acts for: a signed-in user of a tenant. Storage reads
// the tenant from it for every tenant-owned object, so a handler cannot reach
// another tenant's data by forgetting a filter.
type Actor struct {
	User   *User
	Tenant *Tenant
	// ForOrganization is set while an admin keeps the organization's own
	// billing (Admin › Billing profiles): payment methods, billing profiles
	// and card pages are then the organization's, not the admin's own.
	ForOrganization bool
}

// ForOrganization returns a copy of ctx whose actor, an admin, acts for
// the organization's billing profiles and cards. Anyone else's context is
// returned as it is: storage answers them as before.
func ForOrganization(ctx context.Context) context.Context {
	a := ActorFromContext(ctx)
	if a == nil || !a.User.IsAdmin() {
		return ctx
	}
	org := *a
	org.ForOrganization = true
	return NewContextWithActor(ctx, &org)
}

type actorKey struct{}

// NewContextWithActor returns a copy of ctx that carries a.
func NewContextWithActor(ctx context.Context, a *Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFromContext returns the actor of ctx, or nil when nobody signed in.
func ActorFromContext(ctx context.Context) *Actor {
	a, _ := ctx.Value(actorKey{}).(*Actor)
	return a
}
