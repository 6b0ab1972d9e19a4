# logpipe — build, test and run targets. Everything installs from go.mod via
# the Go module proxy; nothing else needs to be on the machine.
GO       ?= go
PKGS     ?= ./...
BIN      := bin
VERSION  ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -s -w -X main.version=$(VERSION)
# The daemons' pages are most of their RSS (README, Performance): static
# binaries (no libc mapped), without gRPC's golang.org/x/net/trace (and the
# html/template it brings) and net/http's bundled HTTP/2, which nothing of
# ours serves or dials (etcd's client speaks gRPC's own HTTP/2):
# logagent 21.2 -> 16.8 MB. internal/bench builds with the same flags.
BUILDTAGS := grpcnotrace,nethttpomithttp2
BUILD    := CGO_ENABLED=0 $(GO) build -trimpath -tags $(BUILDTAGS) -ldflags '$(LDFLAGS)'
ARGS     ?=

.PHONY: all build test test-short lint vet fmt bench demo clean

all: build

build:
	$(BUILD) -o $(BIN)/ ./cmd/...

# The whole suite, race detector on. Integration tests start embedded etcd,
# in-process Kafka-protocol brokers and the Elasticsearch-API stand-in on
# random 127.0.0.1 ports; nothing external is needed.
test:
	$(GO) test -race -count=1 -timeout 15m $(PKGS)

test-short:
	$(GO) test -short -count=1 $(PKGS)

# The whole pipeline in one process on 127.0.0.1 (cmd/logstack): etcd, two
# Kafka-protocol clusters and a mirror, the ES-API stand-in, logagent and
# logtransfer, fed 2000 lines/s. Runs until Ctrl-C; ARGS='--for 60s' runs
# unattended and fails if a line was lost or duplicated.
# It builds bin/logctl first, so the logctl lines it prints paste as they are.
demo:
	$(BUILD) -o $(BIN)/ ./cmd/logctl
	$(GO) run ./cmd/logstack $(ARGS)

vet:
	$(GO) vet $(PKGS)

fmt:
	gofmt -l -w $$(git ls-files '*.go')

lint: vet
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 $(PKGS)

# The real binaries in separate processes: logagent, logtransfer, a
# Kafka-protocol broker and a bulk sink, measured per process (see
# internal/bench). BENCH_SHORT=1 shortens the timed phases from 60 s to 10 s;
# BENCH_ARGS passes flags (e.g. -scenarios throughput -strict).
bench:
	BENCH_SHORT=$(BENCH_SHORT) $(GO) run ./internal/cmd/bench $(BENCH_ARGS)

# The end-to-end fault suite (internal/e2e) with long fault windows (60 s
# outages): the real daemons against etcd, two Kafka clusters, the mirror and
# the ES-API stand-in; one row per scenario, also kept in chaos.out.
.PHONY: chaos
# pipefail: the exit status is the suite's, not tee's.
chaos:
	bash -o pipefail -c 'CHAOS_FULL=1 $(GO) test -race -count=1 -timeout 60m -run TestChaos -v ./internal/e2e/ | tee chaos.out'

# The in-process Go micro-benchmarks.
.PHONY: bench-micro
bench-micro:
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

clean:
	rm -rf $(BIN)
