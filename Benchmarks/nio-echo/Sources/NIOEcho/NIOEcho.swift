// nio-echo: the SwiftNIO baselines for net-bench.
//
//   nio-echo [--port N] [--host H] [--path P] [--async] [--http]
//
// The same contract as uv-echo, node-echo and net-echo (see BENCHMARKS.md): echoes every byte it
// reads, over TCP (`--host`, default 127.0.0.1; `--port`, 0 picks a free port) or over a Unix
// socket (`--path`); prints exactly one line, "listening HOST:PORT" or "listening PATH", once
// bound, written straight to fd 1 so a pipe sees it at once; exits 0 on SIGINT/SIGTERM and
// removes its socket file.
//
// One event-loop thread (`MultiThreadedEventLoopGroup(numberOfThreads: 1)`), so that it is
// compared loop for loop with uv-echo, node-echo and net-echo, which each run one loop.
//
// Modes:
//   (default)  the idiomatic NIO echo: a ChannelInboundHandler writes each read back and
//              flushes on channelReadComplete, behind NIO's BackPressureHandler (EchoHandlers.swift);
//   --async    the same echo written with NIOAsyncChannel and structured concurrency
//              (AsyncServers.swift); the per-connection tasks run on Swift's global concurrent
//              executor, the socket I/O on the one event loop;
//   --http     an HTTP/1.1 keep-alive responder on NIOHTTP1's server pipeline, answering every
//              request with the same fixed 13-byte "Hello, world!" response (HTTPHandlers.swift);
//   --http --async  the same responder through NIOAsyncChannel.
// TCP_NODELAY is set on accepted TCP connections, as the other servers do.

import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// What the command line asked for.
struct Options {
    var host = "127.0.0.1"
    var port = 0
    var path: String?
    var async = false
    var http = false

    static func parse(_ arguments: [String]) -> Options {
        var options = Options()
        var index = 0
        func value() -> String {
            index += 1
            guard index < arguments.count else { usage() }
            return arguments[index]
        }
        while index < arguments.count {
            switch arguments[index] {
            case "--port":
                guard let port = Int(value()), (0...65535).contains(port) else { usage() }
                options.port = port
            case "--host": options.host = value()
            case "--path": options.path = value()
            case "--async": options.async = true
            case "--http": options.http = true
            default: usage()
            }
            index += 1
        }
        return options
    }

    static func usage() -> Never {
        writeAll(2, "usage: nio-echo [--port N] [--host H] [--path P] [--async] [--http]\n")
        exit(2)
    }
}

/// Writes `text` to a file descriptor in full, unbuffered.
func writeAll(_ fd: Int32, _ text: String) {
    var bytes = Array(text.utf8)
    var offset = 0
    while offset < bytes.count {
        let written = bytes.withUnsafeMutableBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
        if written < 0 && errno == EINTR { continue }
        guard written > 0 else { return }
        offset += written
    }
}

/// The socket file to remove on exit (a C string, so the signal handler can use it).
nonisolated(unsafe) var socketFileToRemove: UnsafeMutablePointer<CChar>?

/// SIGINT and SIGTERM remove the socket file and end the process with status 0; `unlink` and
/// `_exit` are async-signal-safe, so this runs in the signal handler itself.
func installExitSignals() {
    signal(SIGPIPE, SIG_IGN)
    for signo in [SIGINT, SIGTERM] {
        var action = sigaction()
        #if canImport(Glibc)
        action.__sigaction_handler.sa_handler = { _ in
            if let path = socketFileToRemove { unlink(path) }
            _exit(0)
        }
        #else
        action.sa_handler = { _ in
            if let path = socketFileToRemove { unlink(path) }
            _exit(0)
        }
        #endif
        sigemptyset(&action.sa_mask)
        sigaction(signo, &action, nil)
    }
}

/// Prints the contract's `listening` line for a bound server channel.
func announce(_ address: SocketAddress?, options: Options) {
    if let path = options.path {
        writeAll(1, "listening \(path)\n")
    } else if let address, let ip = address.ipAddress, let port = address.port {
        writeAll(1, "listening \(ip):\(port)\n")
    } else {
        writeAll(2, "nio-echo: bound, but the local address is unknown\n")
        exit(1)
    }
}

/// The main thread only waits: in the handler modes on the server's close future, in the async
/// modes on a promise the server's task completes. No `async` main on purpose: that parks the
/// main thread in libdispatch's `dispatch_main`, which valgrind (callgrind) cannot run.
@main
enum NIOEcho {
    static func main() {
        let options = Options.parse(Array(CommandLine.arguments.dropFirst()))
        installExitSignals()
        if let path = options.path { socketFileToRemove = strdup(path) }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            switch (options.http, options.async) {
            case (false, false): try runEcho(group: group, options: options)
            case (true, false): try runHTTP(group: group, options: options)
            case (let http, true):
                let finished = group.next().makePromise(of: Void.self)
                finished.completeWithTask {
                    http ? try await runAsyncHTTP(group: group, options: options)
                        : try await runAsyncEcho(group: group, options: options)
                }
                try finished.futureResult.wait()
            }
        } catch {
            writeAll(2, "nio-echo: \(error)\n")
            if let path = socketFileToRemove { unlink(path) }
            exit(1)
        }
    }
}

extension ServerBootstrap {
    /// The options every mode shares: the backlog of uv-echo and Node's net.Server, SO_REUSEADDR
    /// on the listener (libuv sets it too), TCP_NODELAY on accepted TCP connections.
    func benchmarkOptions(_ options: Options) -> ServerBootstrap {
        let bootstrap = self
            .serverChannelOption(.backlog, value: 511)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
        return options.path == nil ? bootstrap.childChannelOption(.tcpOption(.tcp_nodelay), value: 1) : bootstrap
    }

    /// Binds a handler-based server where the options ask for it.
    func bind(_ options: Options) throws -> Channel {
        if let path = options.path {
            return try bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true).wait()
        }
        return try bind(host: options.host, port: options.port).wait()
    }
}
