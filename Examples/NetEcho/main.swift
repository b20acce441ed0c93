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

    @Flag(help: "Greet each client with hello\\r\\n first, as Node's example does.")
    var greeting = false

    mutating func run() throws {
        let greeting = self.greeting
        var open: [ObjectIdentifier: Socket] = [:]
        let server = Net.createServer { socket in
            open[ObjectIdentifier(socket)] = socket
            socket.on(.close) { _ in open[ObjectIdentifier(socket)] = nil }
            socket.on(.error) { _ in }
            if greeting { socket.write("hello\r\n") }
            socket.pipe(socket)
        }
        server.on(.error) { error in
            FileHandleOutput.write("net-echo: \(error)\n", fd: 2)
            Glibc.exit(1)
        }
        try server.listen(port: port, host: host) {
            guard let address = server.address() else { return }
            let shown = address.family == "IPv6" ? "[\(address.address)]" : address.address
            FileHandleOutput.write("listening \(shown):\(address.port ?? 0)\n", fd: 1)
        }
        var watchers: [SignalWatcher] = []
        for signal in [SIGINT, SIGTERM] {
            watchers.append(SignalWatcher(signal) {
                server.close()
                for socket in open.values { socket.destroy() }
                for watcher in watchers { watcher.close() }
            })
        }
        EventLoop.default.run()
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
