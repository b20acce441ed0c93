// net-http: a tiny HTTP/1.1 responder on plain `net`. It reads the request head, answers every
// request with a short text naming the method and path, and closes the connection.
//
//   net-http [PORT]        then: curl http://127.0.0.1:PORT/hello
import Net
#if canImport(Glibc)
import Glibc
#endif

@main
struct HTTPResponder {
    static func main() throws {
        let port = CommandLine.arguments.dropFirst().first.flatMap { Int($0) } ?? 8124

        let server = Net.createServer { socket in
            var head = ""
            var answered = false
            socket.setEncoding(.latin1)
            socket.on(.text) { text in
                if answered { return }  // one request per connection
                head += text
                guard let end = head.firstRange(of: "\r\n\r\n") else {
                    if head.utf8.count > 16 << 10 {
                        answered = true
                        socket.end("HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n\r\n")
                    }
                    return
                }
                answered = true
                let requestLine = head[..<end.lowerBound].split(separator: "\r\n").first ?? ""
                let parts = requestLine.split(separator: " ")
                guard parts.count == 3, parts[2].hasPrefix("HTTP/1.") else {
                    socket.end("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                    return
                }
                let body = "Hello from swift-net: \(parts[0]) \(parts[1])\n"
                socket.end(
                    "HTTP/1.1 200 OK\r\n"
                        + "Content-Type: text/plain; charset=utf-8\r\n"
                        + "Content-Length: \(body.utf8.count)\r\n"
                        + "Connection: close\r\n\r\n"
                        + body)
            }
            socket.on(.error) { _ in }  // a client that resets is no news
        }
        try server.listen(port: port, host: "127.0.0.1") {
            print("http responder listening on port \((try? server.address())?.port ?? port)")
            fflush(nil)  // out at once, also when our output is a pipe
        }
        EventLoop.default.run()
    }
}
