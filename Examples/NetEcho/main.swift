// net-echo: the echo server from Node's `net` documentation, on swift-net.
import ArgumentParser
import Net
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

    @Option(help: "Serve with this many event loops, each on its own thread, sharing the port (TCP only).")
    var loops: Int = 1

    @Flag(help: "Greet each client with hello\\r\\n first, as Node's example does.")
    var greeting = false

    @Flag(name: .customLong("async"), help: "Serve through the async face: for try await chunk in socket { try await socket.write(chunk) }.")
    var useAsync = false

    mutating func run() throws {
        if loops > 1 && path == nil { return runGroup() }
        if useAsync { return runAsync() }
        let greeting = self.greeting
        let loop = EventLoop.default
        // A client that resets its connection is no news for an echo server.
        loop.onUnhandledError = { _, _ in }
        let server = Net.createServer { socket in
            if greeting { socket.write("hello\r\n") }
            socket.pipe(socket)
        }
        server.on(.error) { error in
            FileHandleOutput.write("net-echo: \(error)\n", fd: 2)
            // Failing to listen is fatal; an accept error (such as EMFILE) is not.
            if error.syscall == "listen" { Glibc.exit(1) }
        }
        let announce = {
            switch server.address() {
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
        var watchers: [SignalWatcher] = []
        for signal in [SIGINT, SIGTERM] {
            watchers.append(SignalWatcher(signal) {
                server.close()
                // Every connection (and these watchers) closes; then run() returns.
                loop.closeAllHandles()
            })
        }
        loop.run()
    }
}

extension NetEcho {
    /// `--loops N`: one server per loop on one port; the main thread only waits for a signal.
    func runGroup() {
        let group = EventLoopGroup(count: loops)
        let greeting = self.greeting
        for loop in group.loops { loop.execute { loop.onUnhandledError = { _, _ in } } }
        group.listen(port: port, host: host, connectionListener: { socket in
            if greeting { socket.write("hello\r\n") }
            socket.pipe(socket)
        }, onListening: { result in
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
        group.shutdown()
    }
}

/// Writes straight to a file descriptor, so the line is out before anyone waits for it.
enum FileHandleOutput {
    static func write(_ text: String, fd: Int32) {
        var text = text
        text.withUTF8 { bytes in _ = Glibc.write(fd, bytes.baseAddress, bytes.count) }
    }
}

NetEcho.main()
