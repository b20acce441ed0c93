// net-behind-balancer: an echo server behind a TCP load balancer that speaks the PROXY protocol
// (HAProxy's send-proxy / send-proxy-v2, nginx's proxy_protocol). It prints the real client of
// every connection, refuses headers from anyone but the balancer, and blocks one client.
//
//   net-behind-balancer [PORT] [BALANCER]      (defaults: 8124, 10.0.0.5)
import Net
#if canImport(Glibc)
import Glibc
#endif

/// `print`, flushed at once, so each line reaches a pipe (a test, a log collector) as it happens.
func print(_ line: String) {
    Swift.print(line)
    fflush(nil)
}

let port = CommandLine.arguments.dropFirst().first.flatMap { Int($0) } ?? 8124
let balancer = CommandLine.arguments.dropFirst(2).first ?? "10.0.0.5"

let balancers = BlockList()
try balancers.addAddress(balancer)                // only the balancer may send headers
let blocked = BlockList()
try blocked.addAddress("203.0.113.9")
let options = ServerOptions(
    blockList: blocked,                            // applied to the real client
    proxyProtocol: ProxyProtocolOptions(.either, trustedProxies: balancers))
let server = Net.createServer(options) { socket in
    print("client \(socket.remoteAddress!):\(socket.remotePort!)")   // the real client
    socket.pipe(socket)                            // the first 'data' starts after the header
}
server.on(.proxyProtocolError) { failure in        // missing, bad, slow or untrusted headers
    print("refused \(failure.remoteAddress ?? "?"): \(failure.error)")
}
try server.listen(port: port, host: "127.0.0.1") {
    print("listening on port \((try? server.address())?.port ?? port)")
}
EventLoop.default.run()
