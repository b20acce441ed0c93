# swift-net: build, test (examples included), docs, run the echo example and the benchmark; soak,
# sanitizer and fuzz runs (see RELIABILITY.md).
SWIFT ?= swift
PORT ?= 8124
# Extra flags for every swift build/test, e.g. SWIFT_FLAGS="--scratch-path /tmp/build".
SWIFT_FLAGS ?=
# Scratch paths of the sanitizer and fuzz builds, kept apart from the normal build.
ASAN_PATH ?= .build-asan
TSAN_PATH ?= .build-tsan
FUZZ_PATH ?= .build-fuzz
# Seconds each fuzz target runs under `make fuzz`.
FUZZ_SECONDS ?= 60
# The soak tests (their long versions run when SWIFT_NET_SOAK=1).
SOAK_FILTER = SoakTests|pipeKeepsQueuesBoundedInFrontOfASlowReader

.PHONY: all help deps deps-valgrind deps-balancers deps-bench build release test docs soak sanitize asan tsan fuzz echo bench bench-quick bench-instr clean

all: build

# The targets, one line each.
help:
	@echo "make build        debug build of every target, the examples included (the default)"
	@echo "make release      release build"
	@echo "make test         build and run the test suite (runs the examples; installs haproxy and nginx if missing)"
	@echo "make echo         run the echo server (net-echo, release) on PORT (8124; PORT=0 picks a free one)"
	@echo "make docs         the DocC catalogs, warnings as errors"
	@echo "make bench        net-echo against Node's net, raw libuv, HAProxy (see BENCHMARKS.md)"
	@echo "make bench-quick  a shorter bench"
	@echo "make bench-instr  instructions per round trip under callgrind"
	@echo "make soak         the long soak tests"
	@echo "make sanitize     the test suite under AddressSanitizer, then ThreadSanitizer (asan, tsan)"
	@echo "make fuzz         the libFuzzer targets for FUZZ_SECONDS each, then the corpora against node"
	@echo "make clean        remove .build and the sanitizer and fuzz builds"
	@echo "SWIFT_FLAGS=\"...\" adds flags to every swift build and test."

# Installs libuv and pkg-config only when pkg-config cannot find libuv.
deps:
	@if ! pkg-config --exists libuv 2>/dev/null; then \
		echo "libuv not found: installing libuv1-dev and pkg-config"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y libuv1-dev pkg-config; \
	fi

# Installs valgrind (for bench-instr) only when valgrind or callgrind_control is missing.
deps-valgrind:
	@if ! command -v valgrind >/dev/null 2>&1 || ! command -v callgrind_control >/dev/null 2>&1; then \
		echo "valgrind not found: installing valgrind"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y valgrind; \
	fi

# Installs HAProxy and nginx with its stream module (the load balancer tests start them) only
# when one is missing.
deps-balancers:
	@if [ ! -x /usr/sbin/haproxy ] || [ ! -x /usr/sbin/nginx ] || [ ! -e /usr/lib/nginx/modules/ngx_stream_module.so ]; then \
		echo "haproxy or nginx's stream module not found: installing haproxy, nginx and libnginx-mod-stream"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update && $$SUDO env DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 apt-get install -y haproxy nginx libnginx-mod-stream; \
	fi

# Installs wrk (the HTTP load generator of the http scenario) and HAProxy (a row of the proxy
# scenario) only when one is missing.
deps-bench:
	@if ! command -v wrk >/dev/null 2>&1 || [ ! -x /usr/sbin/haproxy ]; then \
		echo "wrk or haproxy not found: installing wrk and haproxy"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update && $$SUDO env DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 apt-get install -y wrk haproxy; \
	fi

build: deps
	$(SWIFT) build $(SWIFT_FLAGS)

release: deps
	$(SWIFT) build -c release $(SWIFT_FLAGS)

# Builds everything, the examples under Examples/ included, and runs the tests (ExampleSmokeTests
# runs each example; the balancer tests run HAProxy and nginx, installed when missing).
test: deps deps-balancers
	$(SWIFT) build --build-tests $(SWIFT_FLAGS)
	$(SWIFT) test --skip-build $(SWIFT_FLAGS)

# The DocC catalogs of every public module, built with warnings as errors; the archives land in
# .build/plugins/Swift-DocC/outputs/.
DOC_TARGETS = Net NetCore NetExtras NetServiceLifecycle
docs: deps
	$(SWIFT) package $(SWIFT_FLAGS) generate-documentation $(addprefix --target ,$(DOC_TARGETS)) --warnings-as-errors

# Long soak runs, one test at a time so the process-wide figures are this test's own:
# 100,000 connect-write-end cycles, 10,000 idle connections, 256 MiB to a slow reader.
soak: deps
	$(SWIFT) build --build-tests $(SWIFT_FLAGS)
	SWIFT_NET_SOAK=1 $(SWIFT) test --skip-build --no-parallel $(SWIFT_FLAGS) --filter '$(SOAK_FILTER)'

# The whole suite under AddressSanitizer (with LeakSanitizer), then under ThreadSanitizer.
sanitize: asan tsan

asan: deps
	$(SWIFT) build --build-tests --sanitize=address --scratch-path $(ASAN_PATH)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 LSAN_OPTIONS=suppressions=$(CURDIR)/.ci/lsan.supp:print_suppressions=1 \
		$(SWIFT) test --skip-build --sanitize=address --scratch-path $(ASAN_PATH)

tsan: deps
	$(SWIFT) build --build-tests --sanitize=thread --scratch-path $(TSAN_PATH)
	TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
		$(SWIFT) test --skip-build --sanitize=thread --scratch-path $(TSAN_PATH)

# Each libFuzzer target (Fuzz/, a package of its own) for FUZZ_SECONDS, then every input of the
# grown corpora compared with node.
fuzz: deps
	FUZZ_PATH=$(FUZZ_PATH) FUZZ_SECONDS=$(FUZZ_SECONDS) SWIFT="$(SWIFT)" Fuzz/run.sh
	$(SWIFT) build --build-tests $(SWIFT_FLAGS)
	SWIFT_NET_FUZZ_CORPUS=$(abspath $(FUZZ_PATH))/corpus $(SWIFT) test --skip-build $(SWIFT_FLAGS) --filter FuzzCorpusDifferentialTests

# The echo server from Node's documentation, on PORT (default 8124).
echo: release
	$$($(SWIFT) build -c release --show-bin-path)/net-echo --port $(PORT)

# Benchmark: net-echo against Node's net and raw libuv in C, echo, HTTP and proxy rows (see
# BENCHMARKS.md); wrk and haproxy are installed when missing.
# Extra options go in BENCH_ARGS, e.g. make bench BENCH_ARGS="--servers uv,net --json out.json".
# The server table, then the client side (a swift-net ping-pong client against uv-echo, beside
# the C load generator and a Node client); CLIENT_ARGS go to the second.
bench: deps deps-bench
	$(SWIFT) run -c release net-bench $(BENCH_ARGS)
	$(SWIFT) run -c release net-bench client $(CLIENT_ARGS)

bench-quick: deps deps-bench
	$(SWIFT) run -c release net-bench --quick $(BENCH_ARGS)

# User-space instructions (callgrind Ir) per echoed 64-byte round trip, uv-echo and net-echo, 1 and
# 64 connections, TCP and Unix socket (see BENCHMARKS.md, "Instructions per operation").
# Extra options go in INSTR_ARGS, e.g. make bench-instr INSTR_ARGS="--transports tcp --duration 4".
bench-instr: deps deps-valgrind
	$(SWIFT) run -c release net-bench instructions $(INSTR_ARGS)

clean:
	rm -rf .build $(ASAN_PATH) $(TSAN_PATH) $(FUZZ_PATH)
