import Testing
import Foundation
import Synchronization
@testable import NetCore
import Net

/// maxConnections and 'drop', descriptor exhaustion, and one port served by several loops.
@Suite struct ServerLimitTests {
    // node: test/parallel/test-net-server-drop-connections.js — over the limit, a connection is accepted and closed
    // with 'drop' (both ends described), and it never reaches 'connection'.
    @Test func connectionsOverTheLimitAreDropped() throws {
        var drops: [DropInfo] = []
        var accepted = 0
        var dropped = 0
        withLoop { loop in
            let server = Server(loop: loop)
            server.maxConnections = 2
            var held: [Socket] = []
            server.on(.connection) { s in
                accepted += 1
                held.append(s)
                s.resume()
            }
            server.on(.drop) { drops.append($0) }
            listenLocal(server) { port in
                var open: [Socket] = []
                func connectNext(_ i: Int) {
                    guard i < 5 else { return }
                    let c = dial(port, loop: loop)
                    open.append(c)
                    c.resume()
                    c.on(.connect) { connectNext(i + 1) }
                    c.on(.end) {
                        dropped += 1
                        if dropped == 3 {
                            for s in open + held { s.destroy() }
                            held = []
                            open = []
                            server.close()
                        }
                    }
                }
                connectNext(0)
            }
        }
        #expect(accepted == 2)
        #expect(drops.count == 3)
        #expect(drops.first?.localAddress == "127.0.0.1" && drops.first?.remoteFamily == "IPv4")
        #expect(drops.allSatisfy { ($0.remotePort ?? 0) > 0 && ($0.localPort ?? 0) > 0 })
    }

    // node: test/parallel/test-net-server-drop-connections.js (Node ≥ 21): 0 drops everything.
    @Test func maxConnectionsZeroDropsEverything() throws {
        var drops = 0
        var connections = 0
        withLoop { loop in
            let server = Server(loop: loop)
            server.maxConnections = 0
            server.on(.connection) { _ in connections += 1 }
            server.on(.drop) { _ in drops += 1 }
            listenLocal(server) { port in
                let c = dial(port, loop: loop)
                c.resume()
                c.on(.close) { _ in server.close() }
            }
        }
        #expect(drops == 1 && connections == 0)
    }

    // A limit of 1: once the accepted connection closed, the next one is accepted, never
    // dropped (Node's sent/received check is in ServerMaxConnectionsTests).
    @Test func closingAConnectionFreesASlot() throws {
        var accepted = 0
        var drops = 0
        withLoop { loop in
            let server = Server(loop: loop)
            server.maxConnections = 1
            server.on(.drop) { _ in drops += 1 }
            server.on(.connection) { s in
                accepted += 1
                s.resume()
                s.on(.end) { s.end() }
            }
            listenLocal(server) { port in
                let first = dial(port, loop: loop)
                first.resume()
                first.on(.connect) { first.end() }
                first.on(.close) { _ in
                    let second = dial(port, loop: loop)
                    second.resume()
                    second.on(.connect) { second.end() }
                    second.on(.close) { _ in server.close() }
                }
            }
        }
        #expect(accepted == 2 && drops == 0)
    }

    // node: test/parallel/test-net-server-listen-options-signal.js
    @Test func abortSignalClosesTheServer() throws {
        let log = Log()
        withLoop { loop in
            let controller = AbortController()
            let server = Server(loop: loop)
            server.on(.close) { log("close listening=\(server.listening)") }
            do {
                try server.listen(ListenOptions(port: 0, host: "127.0.0.1", signal: controller.signal)) {
                    log("listening")
                    controller.abort()
                }
            } catch { Issue.record("\(error)") }
            let early = Server(loop: loop)
            early.on(.listening) { log("pre-aborted listening") }
            early.on(.close) { log("pre-aborted close bound=\((try? early.address()) != nil)") }
            do { try early.listen(ListenOptions(port: 0, signal: AbortSignal.abort())) } catch { Issue.record("\(error)") }
        }
        #expect(log.entries.contains("listening"))
        #expect(log.entries.contains("close listening=false"))
        #expect(log.entries.contains("pre-aborted close bound=false"))
        #expect(!log.entries.contains("pre-aborted listening"))
    }

    // node: test/parallel/test-net-server-listen-options.js — neither port nor path.
    @Test func listenOptionsNeedPortOrPath() {
        let loop = EventLoop()
        do {
            try Server(loop: loop).listen(ListenOptions(host: "localhost"))
            Issue.record("accepted")
        } catch {
            #expect(error.code == .ERR_INVALID_ARG_VALUE)
            #expect(error.message == "The argument 'options' must have the property \"port\" or \"path\". Received { host: 'localhost' }")
        }
        loop.run()
        #expect(loop.liveHandles == 0)
        #expect(loop.liveEmitters == 0)
    }

    // node: test/parallel/test-net-reuseport.js — two servers share a port with reusePort.
    @Test func reusePortLetsTwoServersShareAPort() throws {
        var second: Int?
        var firstPort = 0
        withLoop { loop in
            let a = Server(loop: loop)
            let b = Server(loop: loop)
            b.on(.error) { Issue.record("second listen failed: \($0)") }
            do {
                try a.listen(ListenOptions(port: 0, host: "127.0.0.1", reusePort: true)) {
                    firstPort = (try? a.address())?.port ?? 0
                    _ = try? b.listen(ListenOptions(port: firstPort, host: "127.0.0.1", reusePort: true)) {
                        second = (try? b.address())?.port
                        a.close()
                        b.close()
                    }
                }
            } catch { Issue.record("\(error)") }
        }
        #expect(second == firstPort && firstPort > 0)
    }

    // node: test/parallel/test-net-listen-ipv6only.js — `::` with ipv6Only refuses IPv4.
    @Test func ipv6OnlyRefusesIPv4() throws {
        var error: NetError?
        withLoop { loop in
            let server = Server(loop: loop)
            do {
                try server.listen(ListenOptions(port: 0, host: "::", ipv6Only: true)) {
                    let c = dial((try? server.address())?.port ?? 0, host: "127.0.0.1", loop: loop)
                    c.on(.error) { error = $0 }
                    c.on(.close) { _ in server.close() }
                }
            } catch { Issue.record("\(error)") }
        }
        #expect(error?.code == .ECONNREFUSED)
    }

    /// Two loops on two threads both accept connections on one port.
    @Test func twoLoopsShareOnePort() throws {
        let group = EventLoopGroup(count: 2)
        defer {
            group.shutdown()
            // Every server and accepted socket of the group closed and was released.
            for loop in group.loops {
                #expect(loop.liveHandles == 0)
                #expect(loop.liveEmitters == 0)
            }
        }
        let perLoop = Mutex<[Int]>([0, 0])
        let ports = Mutex<Result<Int, NetError>?>(nil)
        let ready = DispatchSemaphore(value: 0)
        let loops = group.loops
        group.listen(host: "127.0.0.1", connectionListener: { socket in
            for (i, loop) in loops.enumerated() where loop === socket.loop {
                perLoop.withLock { $0[i] += 1 }
                #expect(loop.isCurrent)
            }
            socket.end("ok")
        }, onListening: { result in
            ports.withLock { $0 = result }
            ready.signal()
        })
        #expect(ready.wait(timeout: .now() + 10) == .success, "the group did not start listening")
        let port = try #require(try ports.withLock { try $0?.get() })
        var replies = 0
        let total = 64
        withLoop(timeout: 20_000) { loop in
            for _ in 0..<total {
                let c = dial(port, loop: loop)
                c.on(.data) { if $0.toString() == "ok" { replies += 1 } }
            }
        }
        #expect(replies == total)
        let counts = perLoop.withLock { $0 }
        #expect(counts.reduce(0, +) == total)
        #expect(counts.allSatisfy { $0 > 0 }, "one loop accepted nothing: \(counts)")
    }
}
