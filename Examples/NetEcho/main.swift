// net-echo: the echo server from Node's `net` documentation, on swift-net.
import ArgumentParser
import Net
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

struct NetEcho: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "net-echo",
        abstract: "Echoes every byte each client sends, like the echo server in Node's net documentation.")

    @Option(help: "The port to listen on; 0 picks a free one.")
    var port: Int = 8124

    @Option(help: "The host to listen on; by default every address (:: or 0.0.0.0).")
    var host: String?

    @Option(help: "Listen on this Unix domain socket path instead; @name is the abstract socket \\0name.")
    var path: String?

    @Option(help: "Serve with this many event loops, each on its own thread, sharing the port (TCP only); --loops alone means one per core.")
    var loops: Int = 1

    @Flag(help: "Greet each client with hello\\r\\n first, as Node's example does.")
    var greeting = false

    @Flag(name: .customLong("async"), help: "Serve through the async face: for try await chunk in socket { try await socket.write(chunk) }.")
    var useAsync = false

    @Option(help: "How each connection echoes: pipe (socket.pipe(socket)), data (socket.on(.data) { socket.write($0) }) or text (socket.setEncoding(.utf8); socket.on(.text) { socket.write($0) }, which turns bytes that are not UTF-8 into U+FFFD, as Node does).")
    var echo: EchoStyle = .pipe

    @Flag(help: "Answer HTTP/1.1 keep-alive requests (each head up to its blank line, no body) with a fixed 200 'Hello, world!' instead of echoing; with --async through the async face.")
    var http = false

    @Option(help: ArgumentHelp("Instead of echoing, proxy every connection to HOST:PORT (socket.pipe both ways).", valueName: "host:port"))
    var proxyTo: String?

    @Flag(inversion: .prefixedNo, help: "With --proxy-to: move the bytes between the two sockets inside the kernel (splice(2), Linux; EventLoop.splicesPipes), or with --no-splice copy them through memory.")
    var splice = true

    @Option(help: "Read a PROXY protocol header (v1, v2 or either) from every connection, as sent by HAProxy's send-proxy or nginx's proxy_protocol.")
    var proxyProtocol: ProxyVersionArgument?

    @Option(help: "With --proxy-protocol: take headers only from this proxy address (repeatable).")
    var trustedProxy: [String] = []

    @Option(help: "Refuse connections from this client address (repeatable); behind a proxy, the address its header names.")
    var block: [String] = []

    @Flag(help: "Print one line per accepted connection: connection from ADDR:PORT (the client a PROXY header named, if any).")
    var logConnections = false

    @Option(help: "On SIGTERM or SIGINT, stop accepting and let open connections finish for this many milliseconds before closing them (a second signal closes them at once with one loop).")
    var gracePeriod: Int = 10_000

    @Option(help: "Destroy a connection after this many milliseconds without reads or writes (socket.setTimeout); 0 never does.")
    var idleTimeout: Int = 0

    func validate() throws {
        let modes = (echo != .pipe ? 1 : 0) + (http ? 1 : 0) + (proxyTo != nil ? 1 : 0)
        if modes > 1 { throw ValidationError("--echo data or text, --http and --proxy-to exclude each other") }
        if useAsync && (echo != .pipe || proxyTo != nil) {
            throw ValidationError("--async serves the echo or --http only")
        }
        if let proxyTo, ProxyTarget(proxyTo) == nil { throw ValidationError("--proxy-to wants HOST:PORT, not \(proxyTo)") }
    }

    mutating func run() throws {
        let setup = try EchoSetup(self)
        if loops != 1 && path == nil { return runGroup(setup) }
        if useAsync { return runAsync() }
        let loop = EventLoop.default
        // A client that resets its connection is no news for an echo server.
        loop.onUnhandledError = { _, _ in }
        loop.splicesPipes = splice
        let server = Net.createServer(setup.options, connectionListener: setup.serve)
        setup.watch(server, exitOnListenError: true)
        let announce = {
            switch try? server.address() {
            case .inet(let a)?:
                let shown = a.family == "IPv6" ? "[\(a.address)]" : a.address
                FileHandleOutput.write("listening \(shown):\(a.port)\n", fd: 1)
            case .path(let p)?:
                let shown = p.hasPrefix("\0") ? "@" + p.dropFirst() : p
                FileHandleOutput.write("listening \(shown)\n", fd: 1)
            case nil:
                break
            }
        }
        if let path {
            let bound = path.hasPrefix("@") ? "\0" + path.dropFirst() : path
            try server.listen(path: bound, onListening: announce)
        } else {
            try server.listen(port: port, host: host, onListening: announce)
        }
        // The first signal stops accepting and lets open connections finish within the grace
        // period; a second one (or the end of the grace period) closes everything at once.
        var watchers: [SignalWatcher] = []
        var graceTimer: Timeout?
        let grace = UInt64(max(0, gracePeriod))
        for signal in [SIGINT, SIGTERM] {
            watchers.append(SignalWatcher(signal) {
                if graceTimer != nil { return loop.closeAllHandles() }
                graceTimer = loop.setTimeout(grace) { loop.closeAllHandles() }
                server.close { _ in
                    graceTimer?.close()
                    for w in watchers { w.close() }
                }
            })
        }
        loop.run()
    }
}

extension NetEcho {
    /// `--loops N`: one server per loop on one port; the main thread only waits for a signal,
    /// then shuts the group down gracefully.
    func runGroup(_ setup: EchoSetup) {
        let group = EventLoopGroup(count: loops > 1 ? loops : EventLoopGroup.coreCount)
        let host = self.host
        let splice = self.splice
        for loop in group.loops {
            loop.execute {
                loop.onUnhandledError = { _, _ in }
                loop.splicesPipes = splice
            }
        }
        // Connections per loop, told on stderr at exit: how the kernel spread them.
        let counters = group.loops.map { _ in LoopCounter() }
        let loops = group.loops
        group.listen(port: port, host: host, options: setup.options, setUp: { server in
            setup.watch(server, exitOnListenError: false)
            if let i = loops.firstIndex(where: { $0 === server.loop }) {
                server.on(.connection) { _ in counters[i].count.add(1, ordering: .relaxed) }
            }
        }, connectionListener: setup.serve, onListening: { result in
            switch result {
            case .success(let bound):
                FileHandleOutput.write("listening \(host ?? "[::]"):\(bound)\n", fd: 1)
            case .failure(let error):
                FileHandleOutput.write("net-echo: \(error)\n", fd: 2)
                Glibc.exit(1)
            }
        })
        var watchers: [SignalWatcher] = []
        for signal in [SIGINT, SIGTERM] {
            let watcher = SignalWatcher(signal) {
                for w in watchers { w.close() }
            }
            watcher.ref()
            watchers.append(watcher)
        }
        EventLoop.default.run()
        group.shutdownGracefully(gracePeriod: gracePeriod)
        let spread = counters.map { "\($0.count.load(ordering: .relaxed))" }.joined(separator: " ")
        FileHandleOutput.write("net-echo: connections per loop: \(spread)\n", fd: 2)
    }
}

/// A connection count one loop adds to and the main thread reads.
final class LoopCounter: Sendable {
    let count = Atomic<Int>(0)
}

/// `--echo pipe|data`.
enum EchoStyle: String, ExpressibleByArgument {
    /// `socket.pipe(socket)`.
    case pipe
    /// `socket.on(.data) { socket.write($0) }`.
    case data
    /// `socket.setEncoding(.utf8); socket.on(.text) { socket.write($0) }`: strings both ways.
    case text
}

/// `--proxy-protocol v1|v2|either`.
enum ProxyVersionArgument: String, ExpressibleByArgument {
    case v1, v2, either
}

/// What every server of the echo (one loop or many) is made of.
struct EchoSetup: Sendable {
    /// What a connection gets once accepted.
    enum Mode: Sendable {
        case pipe, data, text, http
        case proxy(ProxyTarget)
    }

    let options: ServerOptions
    let greeting: Bool
    let logConnections: Bool
    let idleTimeout: Int
    let mode: Mode

    init(_ command: NetEcho) throws {
        var options = ServerOptions()
        if let version = command.proxyProtocol {
            var proxy = ProxyProtocolOptions([.v1: .v1, .v2: .v2, .either: .either][version] ?? .either)
            if !command.trustedProxy.isEmpty { proxy.trustedProxies = try EchoSetup.list(command.trustedProxy) }
            options.proxyProtocol = proxy
        }
        if !command.block.isEmpty { options.blockList = try EchoSetup.list(command.block) }
        if let target = command.proxyTo.flatMap(ProxyTarget.init) {
            mode = .proxy(target)
            // A proxy passes a client's end of sending on and goes on relaying the answer.
            options.allowHalfOpen = true
        } else if command.http {
            mode = .http
            // As Node's http module does: small responses go out at once.
            options.noDelay = true
        } else {
            mode = [.pipe: .pipe, .data: .data, .text: .text][command.echo] ?? .pipe
        }
        self.options = options
        greeting = command.greeting
        logConnections = command.logConnections
        idleTimeout = max(0, command.idleTimeout)
    }

    static func list(_ addresses: [String]) throws -> BlockList {
        let list = BlockList()
        for a in addresses {
            guard isIP(a) != 0 else { throw ValidationError("not an IP address: \(a)") }
            try list.addAddress(a, family: isIP(a) == 6 ? .ipv6 : .ipv4)
        }
        return list
    }

    /// The connection listener: echo (or answer HTTP, or proxy), after an optional greeting and
    /// log line.
    var serve: @Sendable (Socket) -> Void {
        let greeting = self.greeting, log = logConnections, mode = self.mode, idle = idleTimeout
        return { socket in
            if idle > 0 { socket.setTimeout(idle) { socket.destroy() } }
            if log, let address = socket.remoteAddress, let port = socket.remotePort {
                let shown = socket.remoteFamily == "IPv6" ? "[\(address)]" : address
                FileHandleOutput.write("connection from \(shown):\(port)\n", fd: 1)
            }
            if greeting { socket.write("hello\r\n") }
            switch mode {
            case .pipe: socket.pipe(socket)
            case .data: socket.on(.data) { socket.write($0) }
            case .text:
                socket.setEncoding(.utf8)
                socket.on(.text) { socket.write($0) }
            case .http: HelloResponder.serve(socket)
            case .proxy(let target): target.serve(socket)
            }
        }
    }

    /// Reports a server's errors on stderr: failing to listen is fatal (for one loop; a group
    /// reports it through `listen`), an accept error (such as EMFILE) or a bad PROXY header is not.
    func watch(_ server: Server, exitOnListenError: Bool) {
        server.on(.error) { error in
            if error.syscall == "listen" && !exitOnListenError { return }
            FileHandleOutput.write("net-echo: \(error)\n", fd: 2)
            if error.syscall == "listen" { Glibc.exit(1) }
        }
        server.on(.proxyProtocolError) { failure in
            let from = failure.remoteAddress.map { " from \($0):\(failure.remotePort ?? 0)" } ?? ""
            FileHandleOutput.write("net-echo: \(failure.error)\(from)\n", fd: 2)
        }
    }
}

/// Writes straight to a file descriptor, so the line is out before anyone waits for it.
enum FileHandleOutput {
    static func write(_ text: String, fd: Int32) {
        var text = text
        text.withUTF8 { bytes in _ = Glibc.write(fd, bytes.baseAddress, bytes.count) }
    }
}

// `--loops` with no number means one loop per core.
var arguments = Array(CommandLine.arguments.dropFirst())
if let i = arguments.firstIndex(of: "--loops"), i + 1 == arguments.count || Int(arguments[i + 1]) == nil {
    arguments.insert("0", at: i + 1)
}
NetEcho.main(arguments)
