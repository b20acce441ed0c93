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
        let server: Server
        switch args.first {
        case "callbacks": server = callbackEcho()
        case "async": server = asyncEcho()
        default:
            print("usage: net-echo-faces callbacks|async [PORT]")
            exit(2)
        }
        try server.listen(port: port, host: "127.0.0.1") {
            print("echo (\(args[0])) listening on port \(server.address()?.port ?? port)")
            fflush(nil)  // out at once, also when our output is a pipe
        }
        EventLoop.default.run()
    }

    /// The callback face: each connection pipes into itself.
    static func callbackEcho() -> Server {
        Net.createServer { socket in
            socket.pipe(socket)
        }
    }

    /// The async face: each connection is a task on the loop that writes back what it reads.
    static func asyncEcho() -> Server {
        let loop = EventLoop.default
        return Net.createServer { socket in
            loop.spawn {
                do {
                    for try await chunk in socket { socket.write(chunk) }
                    socket.end()
                } catch {
                    socket.destroy()
                }
            }
        }
    }
}
