package kassa

import "context"

// Actor is who a request acts for: a signed-in user of a tenant. Storage reads
// the tenant from it for every tenant-owned object, so a handler cannot reach
// another tenant's data by forgetting a filter.
type Actor struct {
	User   *User
	Tenant *Tenant
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
