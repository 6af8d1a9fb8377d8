# thidua — see README.md.
GO ?= go
SCALE ?= 1
PKGS := ./...

.PHONY: run build test lint bench e2e fuzz smoke

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
