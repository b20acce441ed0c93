# swift-net: build, test, run the echo example and the benchmark.
SWIFT ?= swift
PORT ?= 8124

.PHONY: all deps build release test echo bench bench-quick clean

all: build

# Installs libuv and pkg-config only when pkg-config cannot find libuv.
deps:
	@if ! pkg-config --exists libuv 2>/dev/null; then \
		echo "libuv not found: installing libuv1-dev and pkg-config"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y libuv1-dev pkg-config; \
	fi

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

# The echo server from Node's documentation, on PORT (default 8124).
echo: release
	$$($(SWIFT) build -c release --show-bin-path)/net-echo --port $(PORT)

# Echo benchmark: net-echo against Node's net and raw libuv in C (see BENCHMARKS.md).
# Extra options go in BENCH_ARGS, e.g. make bench BENCH_ARGS="--servers uv,net --json out.json".
bench: deps
	$(SWIFT) run -c release net-bench $(BENCH_ARGS)

bench-quick: deps
	$(SWIFT) run -c release net-bench --quick $(BENCH_ARGS)

clean:
	rm -rf .build
