package telemetry

import (
	"context"
	"fmt"
	"strings"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// Traces. kassa makes spans for requests (otelhttp, named by route
// pattern), for each commit group (one span per group, linked to and from
// the span of each write in it), for calls to the payment gateway, for
// webhook deliveries and for billing runs. They go through OpenTelemetry's
// global tracer provider, which StartTracing sets when the standard
// OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is
// set; otherwise it stays OpenTelemetry's no-op one, and code that would
// only annotate a span first asks whether it is recording: off is free.

// Tracer is kassa's tracer, from the global provider.
func Tracer() trace.Tracer { return otel.Tracer("github.com/kassa-billing/kassa") }

// StartTracing sends traces over OTLP/HTTP (protobuf) when getenv names an
// endpoint, as OpenTelemetry's environment variables do:
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is the traces' URL as it is,
// OTEL_EXPORTER_OTLP_ENDPOINT a base URL to which /v1/traces is added;
// OTEL_SERVICE_NAME names the service ("kassa"). It returns what flushes
// and stops the exporter, and whether tracing is on.
func StartTracing(ctx context.Context, getenv func(string) string) (stop func(context.Context) error, on bool, err error) {
	url := getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
	if url == "" {
		if base := getenv("OTEL_EXPORTER_OTLP_ENDPOINT"); base != "" {
			url = strings.TrimSuffix(base, "/") + "/v1/traces"
		}
	}
	if url == "" {
		return func(context.Context) error { return nil }, false, nil
	}
	exp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(url))
	if err != nil {
		return nil, false, fmt.Errorf("OTLP exporter for %s: %w", url, err)
	}
	name := getenv("OTEL_SERVICE_NAME")
	if name == "" {
		name = "kassa"
	}
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exp),
		sdktrace.WithResource(resource.NewSchemaless(attribute.String("service.name", name))),
	)
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	return tp.Shutdown, true, nil
}
