# thidua — see README.md.
GO ?= go
SCALE ?= 1
PKGS := ./...

.PHONY: run build test race lint bench e2e fuzz smoke crash-test cluster-test

build:
	$(GO) build -o bin/thidua ./cmd/thidua

run: build
	./bin/thidua serve --data ./data --demo

test:
	$(GO) vet $(PKGS)
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || (echo "gofmt needed:"; gofmt -l .; exit 1)
	$(GO) test -count=1 -timeout 15m $(PKGS)

# Every package's tests under the race detector (needs cgo: gcc, as on a fresh machine here),
# one package at a time: on two cores, packages side by side under the detector, each with
# its embedded servers, slowed appends past the store's 10 s timeout (a bulk load's, once
# in each of two CI runs); one at a time takes about as long in all.
race:
	CGO_ENABLED=1 $(GO) test -race -p 1 -count=1 -timeout 20m $(PKGS)

# vet, gofmt and staticcheck (its pinned version fetched through the module proxy).
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2
lint:
	$(GO) vet $(PKGS)
	@test -z "$$(gofmt -l .)" || (gofmt -l .; exit 1)
	$(GO) run $(STATICCHECK) $(PKGS)

bench: build
	./bin/thidua bench --scale $(SCALE) --out bench-results.json

# The API contract check against a real server process on a fresh data directory.
smoke: build
	@dir=$$(mktemp -d); port=$$((20000 + $$$$ % 20000)); \
	THIDUA_ADMIN_TOKEN=smoke-admin-token ./bin/thidua serve --data $$dir --addr 127.0.0.1:$$port >$$dir/serve.log 2>&1 & pid=$$!; \
	for i in $$(seq 1 100); do curl -fsS http://127.0.0.1:$$port/readyz >/dev/null 2>&1 && break; sleep 0.1; done; \
	python3 ../shared/contract/smoke.py http://127.0.0.1:$$port smoke-admin-token; rc=$$?; \
	kill $$pid; wait $$pid 2>/dev/null; rm -rf $$dir; exit $$rc

# Kills the server with SIGKILL during a stream of commands, several times, and checks that
# every acknowledged command survived exactly once, that the projections equal a full
# rebuild and that `thidua verify` passes; and that a stop cutting a slow request short says
# so and exits 2 (cmd/thidua/crash_test.go, build tag crash).
crash-test:
	$(GO) test -tags crash -count=1 -timeout 5m -run '^(TestCrashRecovery|TestStopCutsSlowRequestsShort)$$' -v ./cmd/thidua/

# Two `thidua serve` processes on one in-process three-node JetStream cluster
# (cmd/thidua/twoservers_test.go, build tag cluster): concurrent conflicting commands
# through both have exactly one winner; both then serve the same answers.
cluster-test:
	$(GO) test -tags cluster -count=1 -timeout 5m -run '^TestTwoServeProcessesOnOneCluster$$' -v ./cmd/thidua/

# The browser tests (cmd/thidua/web/e2e_test.go, build tag e2e): headless Chromium
# (/usr/bin/chromium, or CHROMIUM_PATH) drives the web UI through every role, checks each
# page with axe-core and at phone width, and writes screenshots to THIDUA_SCREENSHOTS.
# Without AXE_PATH, axe-core is installed once with npm into AXE_CACHE.
THIDUA_SCREENSHOTS ?= $(CURDIR)/e2e-screenshots
AXE_CACHE ?= $(HOME)/.cache/thidua-axe
AXE_VERSION ?= 4
e2e:
	@axe="$(AXE_PATH)"; \
	if [ -z "$$axe" ]; then \
	  axe="$(AXE_CACHE)/node_modules/axe-core/axe.min.js"; \
	  if [ ! -f "$$axe" ]; then \
	    command -v npm >/dev/null || { echo "e2e: npm is needed to install axe-core (or set AXE_PATH)" >&2; exit 1; }; \
	    echo "e2e: installing axe-core@$(AXE_VERSION) into $(AXE_CACHE)"; \
	    npm install --prefix "$(AXE_CACHE)" --no-audit --no-fund --loglevel=error "axe-core@$(AXE_VERSION)" || exit 1; \
	  fi; \
	fi; \
	test -f "$$axe" || { echo "e2e: no axe-core at $$axe" >&2; exit 1; }; \
	mkdir -p "$(THIDUA_SCREENSHOTS)"; \
	echo "AXE_PATH=$$axe THIDUA_SCREENSHOTS=$(THIDUA_SCREENSHOTS)"; \
	AXE_PATH="$$axe" THIDUA_SCREENSHOTS="$(THIDUA_SCREENSHOTS)" \
	  $(GO) test -tags e2e -count=1 -timeout 10m ./cmd/thidua/web/

# Seed corpora run in `make test`; this runs each fuzz target for FUZZTIME.
FUZZTIME ?= 60s
fuzz:
	for t in FuzzParseDefinition FuzzDecode FuzzUpcastFactRecordedV1 FuzzValidateID; do $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) ./domain/ || exit 1; done
	for t in FuzzValidateToken FuzzDecodeCommit FuzzDecodeWire; do $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) ./eventstore/ || exit 1; done
	$(GO) test -run '^$$' -fuzz '^FuzzDecodePayload$$' -fuzztime $(FUZZTIME) ./projections/
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeJSONRequest$$' -fuzztime $(FUZZTIME) ./cmd/thidua/api/
