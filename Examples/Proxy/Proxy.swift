// net-proxy: a TCP proxy. Each client gets its own connection to the target; bytes flow both
// ways through `pipe`, half-closes included, and an error on either side ends both.
//
//   net-proxy LISTEN_PORT TARGET_PORT [TARGET_HOST]
import Net
#if canImport(Glibc)
import Glibc
#endif

@main
struct Proxy {
    static func main() throws {
        let args = Array(CommandLine.arguments.dropFirst())
        guard args.count >= 2, let listenPort = Int(args[0]), let targetPort = Int(args[1]) else {
            print("usage: net-proxy LISTEN_PORT TARGET_PORT [TARGET_HOST]")
            exit(2)
        }
        let targetHost = args.count > 2 ? args[2] : "127.0.0.1"

        // Half-open on both sides, so a client that ends its request still gets the whole reply.
        let server = Net.createServer(ServerOptions(allowHalfOpen: true)) { client in
            var options = SocketConnectOptions(port: targetPort, host: targetHost)
            options.allowHalfOpen = true
            guard let upstream = try? Net.connect(options) else {
                client.destroy()
                return
            }
            client.pipe(upstream)
            upstream.pipe(client)
            client.on(.error) { _ in upstream.destroy() }
            upstream.on(.error) { error in
                print("upstream: \(error)")
                client.destroy()
            }
        }
        try server.listen(port: listenPort, host: "127.0.0.1") {
            print("proxy listening on port \((try? server.address())?.port ?? listenPort) for \(targetHost):\(targetPort)")
            fflush(nil)  // out at once, also when our output is a pipe
        }
        EventLoop.default.run()
    }
}
