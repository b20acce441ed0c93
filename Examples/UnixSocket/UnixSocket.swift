// net-unix: a Unix domain socket server and its client.
//
//   net-unix server PATH              echoes every byte back, upper-cased
//   net-unix client PATH MESSAGE      sends MESSAGE, prints the reply, exits
import Net
#if canImport(Glibc)
import Glibc
#endif

@main
struct UnixSocket {
    static func main() throws {
        let args = Array(CommandLine.arguments.dropFirst())
        guard args.count >= 2 else {
            print("usage: net-unix server PATH | net-unix client PATH MESSAGE")
            exit(2)
        }
        switch args[0] {
        case "server": try serve(path: args[1])
        case "client": try send(args.dropFirst(2).joined(separator: " "), to: args[1])
        default:
            print("usage: net-unix server PATH | net-unix client PATH MESSAGE")
            exit(2)
        }
        EventLoop.default.run()
    }

    static func serve(path: String) throws {
        let server = Net.createServer { socket in
            socket.setEncoding(.utf8)
            socket.on(.text) { text in socket.write(text.uppercased()) }
            socket.on(.end) { socket.end() }
        }
        try server.listen(path: path) {
            print("listening on \(path)")
            fflush(nil)  // out at once, also when our output is a pipe
        }
        // Close on SIGINT/SIGTERM; run() then returns.
        for signal in [SIGINT, SIGTERM] {
            let watcher = SignalWatcher(signal) { server.close() }
            server.on(.close) { watcher.close() }
        }
    }

    static func send(_ message: String, to path: String) throws {
        var reply = ""
        let client = try Net.connect(path: path)
        client.setEncoding(.utf8)
        client.on(.text) { reply += $0 }
        client.on(.end) { print(reply) }
        client.on(.error) { error in
            print("net-unix: \(error)")
            exit(1)
        }
        client.end(message)
    }
}
