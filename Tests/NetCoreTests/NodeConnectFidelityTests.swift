import Testing
@testable import NetCore
import Net

/// Connecting compared with node 20: which connect options each entry point reads, the
/// errors of local bindings, and `onread`. Each case quotes the node script and its output.
@Suite struct NodeConnectFidelityTests {
    /// `"12"` or `"nil"`.
    static func show(_ value: Int?) -> String { value.map(String.init) ?? "nil" }

    // The `timeout` option belongs to `net.createConnection`/`net.connect`, which call
    // `socket.setTimeout(options.timeout)` when it is truthy; `socket.connect(options)` ignores
    // it. node 20:
    //   new net.Socket().connect({ port, host: '127.0.0.1', timeout: 100 }).timeout  // undefined
    //   net.connect({ port, host: '127.0.0.1', timeout: 100 }).timeout               // 100
    //   net.createConnection({ port, host: '127.0.0.1', timeout: 0 }).timeout        // undefined
    //   new net.Socket().connect({ port, host: '127.0.0.1', timeout: -1 })           // no throw
    //   net.connect({ port: 70000, host: '127.0.0.1', timeout: -1 })   // throws ERR_OUT_OF_RANGE
    //   net.connect({ path: '/tmp/nonexist.sock', timeout: 100 }).timeout            // 100
    //   new net.Socket().connect({ path: '/tmp/nonexist.sock', timeout: 100 }).timeout // undefined
    @Test func timeoutOptionIsSetByNetConnectOnly() {
        let log = Log()
        withLoop { loop in
            let server = Net.createServer(loop: loop) { $0.resume() }
            listenLocal(server) { port in
                var sockets: [Socket] = []
                func attempt(_ name: String, _ make: () throws(NetError) -> Socket) {
                    do throws(NetError) {
                        let s = try make()
                        s.on(.error) { _ in }
                        sockets.append(s)
                        log("\(name) timeout=\(Self.show(s.timeout))")
                    } catch {
                        log("\(name) threw \(error.code)")
                    }
                }
                var o = SocketConnectOptions(port: port, host: "127.0.0.1")
                o.timeout = 100
                attempt("socket.connect") { () throws(NetError) in try Socket(loop: loop).connect(o) }
                attempt("Net.connect") { () throws(NetError) in try Net.connect(o, loop: loop) }
                o.timeout = 0
                attempt("Net.createConnection 0") { () throws(NetError) in try Net.createConnection(o, loop: loop) }
                o.timeout = -1
                attempt("socket.connect -1") { () throws(NetError) in try Socket(loop: loop).connect(o) }
                o.port = 70000
                attempt("Net.connect bad port -1") { () throws(NetError) in try Net.connect(o, loop: loop) }
                var p = SocketConnectOptions(path: "/nonexistent/swift-net.sock")
                p.timeout = 100
                attempt("Net.connect path") { () throws(NetError) in try Net.connect(p, loop: loop) }
                attempt("socket.connect path") { () throws(NetError) in try Socket(loop: loop).connect(p) }
                for s in sockets { s.destroy() }
                server.close()
            }
        }
        #expect(log.entries == [
            "socket.connect timeout=nil",
            "Net.connect timeout=100",
            "Net.createConnection 0 timeout=nil",
            "socket.connect -1 timeout=nil",
            "Net.connect bad port -1 threw ERR_OUT_OF_RANGE",
            "Net.connect path timeout=100",
            "socket.connect path timeout=nil",
        ])
    }

    // The async connect creates its socket as `net.connect` does, so it sets the `timeout`
    // option too (node 20: `net.connect({ port, host: '127.0.0.1', timeout: 100 }).timeout`
    // is 100), and a negative one throws ERR_OUT_OF_RANGE before the bad port is seen.
    @Test func asyncConnectSetsTheTimeoutOption() async {
        await withAsyncLoop { loop in
            let (server, port) = try await localServer(loop)
            var o = SocketConnectOptions(port: port, host: "127.0.0.1")
            o.timeout = 100
            let client = try await Net.connect(options: o, loop: loop)
            #expect(try await client.withSocket { $0.timeout } == 100)
            await client.destroy()
            o.timeout = -1
            o.port = 70000
            do throws(NetError) {
                _ = try await Net.connect(options: o, loop: loop)
                Issue.record("a negative timeout was accepted")
            } catch {
                #expect(error.code == .ERR_OUT_OF_RANGE)
            }
            await server.close()
        }
    }
}
