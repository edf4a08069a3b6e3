package telemetry

import (
	"context"
	"net/http"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// route is where Routed notes the pattern that matched a request: the
// innermost mux's, as each part of kassa (api, web, graph, scim) routes
// with a mux of its own below the server's.
type route struct{ pattern string }

type routeKey struct{}

// Routed wraps a mux so that the pattern it matched is noted for the
// request's metrics and span: a ServeMux sets r.Pattern on the request it
// is given, and a mux inside another answers first, so the innermost
// pattern is the one kept.
func Routed(mux http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mux.ServeHTTP(w, r)
		if rt, ok := r.Context().Value(routeKey{}).(*route); ok && rt.pattern == "" {
			rt.pattern = r.Pattern
		}
	})
}

// WithRoute returns ctx with a place where Routed notes the request's
// route, and what reads it: the pattern, or "unmatched" when no pattern
// took the request.
func WithRoute(ctx context.Context) (context.Context, func() string) {
	rt := &route{}
	return context.WithValue(ctx, routeKey{}, rt), func() string {
		if rt.pattern == "" {
			return "unmatched"
		}
		return rt.pattern
	}
}

// Traced wraps h in a span per request (otelhttp), taking the caller's
// trace context from traceparent. Name the span after the route with
// NameSpan once it is known.
func Traced(h http.Handler) http.Handler { return otelhttp.NewHandler(h, "request") }

// NameSpan names the request's span, when it is recording, after its route
// and adds the request's id.
func NameSpan(ctx context.Context, route, requestID string) {
	if span := trace.SpanFromContext(ctx); span.IsRecording() {
		span.SetName(route)
		span.SetAttributes(attribute.String("http.route", route), attribute.String("kassa.request_id", requestID))
	}
}

// NoteRoute notes the request's route where no mux does (a handler that
// matches paths itself).
func NoteRoute(ctx context.Context, pattern string) {
	if rt, ok := ctx.Value(routeKey{}).(*route); ok && rt.pattern == "" {
		rt.pattern = pattern
	}
}
