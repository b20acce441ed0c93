// net-echo-faces: the same echo server written in both of swift-net's faces.
//
//   net-echo-faces callbacks [PORT]    Node's style: events and pipe
//   net-echo-faces async [PORT]        Swift concurrency: for try await over the socket
import Net
#if canImport(Glibc)
import Glibc
#endif

@main
struct EchoFaces {
    static func main() throws {
        let args = Array(CommandLine.arguments.dropFirst())
        let port = args.dropFirst().first.flatMap { Int($0) } ?? 8124
        switch args.first {
        case "callbacks": try callbacks(port: port)
        case "async": try async(port: port)
        default:
            print("usage: net-echo-faces callbacks|async [PORT]")
            exit(2)
        }
    }

    /// The callback face: each connection pipes into itself.
    static func callbacks(port: Int) throws {
        let server = Net.createServer { socket in
            socket.pipe(socket)
        }
        try server.listen(port: port, host: "127.0.0.1") {
            print("echo (callbacks) listening on port \((try? server.address())?.port ?? port)")
            fflush(nil)  // out at once, also when our output is a pipe
        }
        EventLoop.default.run()
    }

    /// The async face: each connection is a task on the loop that writes back what it reads.
    static func async(port: Int) throws {
        let loop = EventLoop.default
        let server = Net.createServer { socket in
            // The task gets the socket's Sendable face; the socket itself stays on the loop.
            let connection = AsyncSocket(socket)
            loop.spawn {
                do {
                    for try await chunk in connection { try await connection.write(chunk) }
                    try await connection.end()
                } catch {
                    await connection.destroy()
                }
            }
        }
        try server.listen(port: port, host: "127.0.0.1") {
            print("echo (async) listening on port \((try? server.address())?.port ?? port)")
            fflush(nil)  // out at once, also when our output is a pipe
        }
        loop.run()
    }
}
