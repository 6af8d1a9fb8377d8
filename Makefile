# thidua — see README.md.
GO ?= go
SCALE ?= 1
PKGS := ./...

.PHONY: run build test lint bench e2e fuzz smoke crash-test

build:
	$(GO) build -o bin/thidua ./cmd/thidua

run: build
	./bin/thidua serve --data ./data --demo

test:
	$(GO) vet $(PKGS)
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || (echo "gofmt needed:"; gofmt -l .; exit 1)
	$(GO) test -count=1 -timeout 15m $(PKGS)

lint:
	$(GO) vet $(PKGS)
	@test -z "$$(gofmt -l .)" || (gofmt -l .; exit 1)

bench: build
	./bin/thidua bench --scale $(SCALE) --out bench-results.json

# The API contract check against a real server process on a fresh data directory.
smoke: build
	@dir=$$(mktemp -d); port=$$((20000 + $$$$ % 20000)); \
	THIDUA_ADMIN_TOKEN=smoke-admin-token ./bin/thidua serve --data $$dir --addr 127.0.0.1:$$port >$$dir/serve.log 2>&1 & pid=$$!; \
	for i in $$(seq 1 100); do curl -fsS http://127.0.0.1:$$port/healthz >/dev/null 2>&1 && break; sleep 0.1; done; \
	python3 ../shared/contract/smoke.py http://127.0.0.1:$$port smoke-admin-token; rc=$$?; \
	kill $$pid; wait $$pid 2>/dev/null; rm -rf $$dir; exit $$rc

# Kills the server with SIGKILL during a stream of commands, several times, and checks that
# every acknowledged command survived exactly once, that the projections equal a full
# rebuild and that `thidua verify` passes (cmd/thidua/crash_test.go, build tag crash).
crash-test:
	$(GO) test -tags crash -count=1 -timeout 5m -run '^TestCrashRecovery$$' -v ./cmd/thidua/

# Seed corpora run in `make test`; this runs each fuzz target for FUZZTIME.
FUZZTIME ?= 60s
fuzz:
	for t in FuzzParseDefinition FuzzDecode FuzzUpcastFactRecordedV1 FuzzValidateID; do $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) ./domain/ || exit 1; done
	for t in FuzzValidateToken FuzzDecodeCommit; do $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) ./eventstore/ || exit 1; done
