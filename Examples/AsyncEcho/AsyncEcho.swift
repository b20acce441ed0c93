// async-echo: the echo server written with swift-net's async face. Each connection is a child
// task that owns it; the accept loop and the children run on the loop, so no await hops threads.
//
//     async-echo [--port N] [--host H]     (port 8124 on every address unless told)
import Net
#if canImport(Glibc)
import Glibc
#endif

@main
struct AsyncEcho {
    static func main() async throws {
        var port = 8124
        var host: String?
        var args = CommandLine.arguments.dropFirst()
        while let arg = args.popFirst() {
            switch arg {
            case "--port": port = args.popFirst().flatMap { Int($0) } ?? port
            case "--host": host = args.popFirst()
            default:
                say("usage: async-echo [--port N] [--host H]\n", fd: 2)
                exit(2)
            }
        }
        let loop = EventLoop.default
        do {
            try await serve(host: host, port: port, loop: loop)
        } catch {
            say("async-echo: \(error)\n", fd: 2)
            exit(1)
        }
    }

    /// Accepts connections and echoes each in a child task, all on the loop.
    static func serve(host: String?, port: Int, loop: EventLoop) async throws {
        try await loop.spawn {
            let server = try await Net.listen(host: host, port: port, loop: loop)
            if case .inet(let a)? = try await server.address() {
                say("listening \(a.family == "IPv6" ? "[\(a.address)]" : a.address):\(a.port)\n", fd: 1)
            }
            try await withThrowingDiscardingTaskGroup { group in
                for try await connection in server.connections {
                    group.addTask {
                        // A peer that resets is no news for an echo server.
                        do {
                            for try await chunk in connection { try await connection.write(chunk) }
                        } catch {}
                    }
                }
            }
        }.value
    }

    /// Writes `text` to a descriptor unbuffered, so a reader sees each line at once.
    static func say(_ text: String, fd: Int32) {
        var text = text
        text.withUTF8 { bytes in _ = write(fd, bytes.baseAddress, bytes.count) }
    }
}
