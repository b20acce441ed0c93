// net-chat: a line-based chat room. Every line a client sends goes to everyone else; joins and
// leaves are announced; `/who` answers with the number of people connected (getConnections).
//
//   net-chat [PORT]        then, in other terminals: nc 127.0.0.1 PORT
import Net
#if canImport(Glibc)
import Glibc
#endif

@main
struct Chat {
    static func main() throws {
        let port = CommandLine.arguments.dropFirst().first.flatMap { Int($0) } ?? 8124
        var members: [Socket] = []

        func broadcast(_ line: String, except sender: Socket? = nil) {
            for member in members where member !== sender { member.write(line) }
        }

        let server = Net.createServer()
        server.on(.connection) { socket in
            let name = "\(socket.remoteAddress ?? "?"):\(socket.remotePort ?? 0)"
            members.append(socket)
            socket.write("Welcome, \(name)\n")
            broadcast("\(name) joined\n", except: socket)

            var pending = ""
            socket.setEncoding(.utf8)
            socket.on(.text) { text in
                pending += text
                while let newline = pending.firstIndex(of: "\n") {
                    let line = String(pending[..<newline])
                    pending = String(pending[pending.index(after: newline)...])
                    if line == "/who" {
                        server.getConnections { _, count in socket.write("\(count) connected\n") }
                    } else {
                        broadcast("\(name)> \(line)\n", except: socket)
                    }
                }
            }
            socket.on(.error) { error in print("\(name): \(error)") }
            socket.on(.close) { _ in
                members.removeAll { $0 === socket }
                broadcast("\(name) left\n")
            }
        }
        try server.listen(port: port, host: "127.0.0.1") {
            print("chat server listening on port \((try? server.address())?.port ?? port)")
            fflush(nil)  // out at once, also when our output is a pipe
        }
        EventLoop.default.run()
    }
}
