# make test: the whole suite on SQLite and on a throwaway PostgreSQL, with the
# browser tests in headless Chromium. It installs what it lacks (as root).
GO ?= go
export KASSA_REQUIRE_BROWSER = 1
export KASSA_REQUIRE_STRIPE_MOCK = 1

.PHONY: test test-sqlite test-postgres deps vet build fuzz fuzz-brief

test: deps vet test-sqlite test-postgres fuzz-brief

# graphtest is a module of its own: Microsoft's Graph SDK drives the
# Graph-compatible API from it, and kassa's go.mod does not carry the SDK.
# Its first build takes minutes; Go's build cache keeps it after.
deps:
	scripts/install-deps
	$(GO) mod download
	cd graphtest && $(GO) mod download
	scripts/install-stripe-mock

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt: files above need formatting"; exit 1; }
	$(GO) vet ./...
	cd graphtest && $(GO) vet ./...

test-sqlite:
	$(GO) test -count=1 -timeout 30m ./...
	cd graphtest && $(GO) test -count=1 -timeout 30m ./...

test-postgres:
	scripts/with-postgres $(GO) test -count=1 -timeout 30m ./...
	cd graphtest && ../scripts/with-postgres $(GO) test -count=1 -timeout 30m ./...

build:
	$(GO) build -o kassa ./cmd/kassa

# fuzz runs each fuzz target for FUZZTIME (default 10s; a count like 100x
# means that many inputs past its seeds). make test runs each briefly; the
# seeds themselves run with every go test, on both engines.
FUZZTIME ?= 10s
fuzz:
	GO=$(GO) scripts/fuzz $(FUZZTIME)

fuzz-brief:
	$(MAKE) fuzz FUZZTIME=100x
