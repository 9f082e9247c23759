# baylingd — build, run and test. The two commands a newcomer needs:
#   make run    build and start the daemon on a demo model (socket under ./run)
#   make test   every test: lint, unit and fixture parity, arm64 under qemu,
#               the daemon with a real broker, packages in Debian roots
# Everything is built with CGO_ENABLED=0, so GOARCH=arm64 cross-compiles.

GO        ?= go
export CGO_ENABLED := 0
# Tests read the shared fixtures from ../shared/fixtures (override to move them).
BAYLING_FIXTURES ?= $(abspath ../shared/fixtures)
export BAYLING_FIXTURES
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X main.version=$(VERSION)
STATICCHECK ?= $(shell command -v staticcheck 2>/dev/null || echo $(shell $(GO) env GOPATH)/bin/staticcheck)

.PHONY: all build test deps lint unit test-arm64 clean

all: build

build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/ ./cmd/...

# deps installs the tools the tests use (apt packages as root, staticcheck
# with go install) when they are missing; it changes nothing otherwise.
deps:
	@scripts/deps.sh

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	GOARCH=arm64 $(GO) vet ./...
	$(STATICCHECK) ./...

unit:
	CI=$${CI:-true} $(GO) test -count=1 ./...

# The kernels and the engine on arm64 under qemu-user, once with the
# dot-product (SDOT) path and once with plain NEON, as on a Pi 4.
test-arm64:
	CI=$${CI:-true} GOARCH=arm64 $(GO) test -count=1 -exec qemu-aarch64-static ./kernels/... ./engine/...

test: deps lint unit test-arm64

clean:
	rm -rf bin dist

-include mk/*.mk
