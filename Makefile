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

.PHONY: all build test deps lint unit test-arm64 test-arm64-full clean

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

# The kernels and the engine's fixture parity on arm64 under qemu-user, on
# both arm64 paths: the dot-product (SDOT) one of the Pi 5 and RK3588, and
# plain NEON as on a Pi 4 (QEMU_CPU=cortex-a72 removes SDOT from the CPU, and
# BAYLING_EXPECT_ARM64_PATH makes the tests check which path was chosen).
# The whole ./engine/... takes ~10 minutes under emulation; `make
# test-arm64-full` runs it, less the tests that drive real offload
# backends: an arm64 process under qemu cannot load the host's Vulkan
# driver or the NPU double gcc builds for the host (TestOffloadDecision
# and TestOffloadFailure cover the engine's offload path on arm64).
QEMU_TEST := CI=$${CI:-true} GOARCH=arm64 QEMU_LD_PREFIX=/usr/aarch64-linux-gnu $(GO) test -count=1 -exec qemu-aarch64-static
test-arm64:
	BAYLING_EXPECT_ARM64_PATH=sdot $(QEMU_TEST) ./kernels/...
	QEMU_CPU=cortex-a72 BAYLING_EXPECT_ARM64_PATH=neon $(QEMU_TEST) ./kernels/...
	$(QEMU_TEST) -tags purego -short ./kernels/...
	BAYLING_EXPECT_ARM64_PATH=sdot $(QEMU_TEST) -run 'TestParity|TestDecodeAllocs|TestOffloadDecision|TestOffloadFailure' ./engine/llama/
	QEMU_CPU=cortex-a72 BAYLING_EXPECT_ARM64_PATH=neon $(QEMU_TEST) -run 'TestParity|TestDecodeAllocs|TestOffloadDecision|TestOffloadFailure' ./engine/llama/

test-arm64-full:
	$(QEMU_TEST) -timeout 30m -skip 'TestOffloadParity|TestChooseAccelReal' ./kernels/... ./engine/...

test: deps lint unit test-arm64 test-deb

clean:
	rm -rf bin dist

-include mk/*.mk
