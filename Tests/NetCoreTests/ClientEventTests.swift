import Testing
@testable import NetCore
import Net

/// A client's events and state flags through one connection's life.
@Suite struct ClientEventTests {
    // node: test/parallel/test-net-socket-connecting.js
    @Test func connectingIsTrueUntilTheConnectCallback() throws {
        var seen: [Bool] = []
        withLoop { loop in
            let server = Net.createServer(loop: loop) { $0.end() }
            listenLocal(server) { port in
                let client = Socket(loop: loop)
                seen.append(client.connecting)
                _ = try? client.connect(port: port, host: "127.0.0.1") {
                    seen.append(client.connecting)
                    client.end()
                    server.close()
                }
                seen.append(client.connecting)
                client.resume()
            }
        }
        #expect(seen == [false, true, false])
    }

    /// The order Node gives, with the flags Node reports at each event (checked against node v20):
    /// connect → ready → data → end → finish → close(false).
    @Test func happyPathEventOrderAndFlags() throws {
        let log = Log()
        withLoop { loop in
            let server = Net.createServer(loop: loop) { socket in
                socket.on(.data) { _ in }
                socket.end("bye")
            }
            listenLocal(server) { port in
                let c = Socket(loop: loop)
                func state(_ name: String) {
                    log("\(name) r=\(c.readable) w=\(c.writable) \(c.readyState) pending=\(c.pending) destroyed=\(c.destroyed)")
                }
                state("new")
                _ = try? c.connect(port: port, host: "127.0.0.1")
                state("connecting")
                c.on(.connect) { state("connect") }
                c.on(.ready) { state("ready") }
                c.on(.data) { chunk in log("data \(chunk.toString())") }
                c.on(.end) { state("end") }
                c.on(.finish) { state("finish") }
                c.on(.close) { e in
                    state("close hadError=\(e.hadError)")
                    server.close()
                }
            }
        }
        #expect(log.entries == [
            "new r=true w=true open pending=true destroyed=false",
            "connecting r=true w=true opening pending=true destroyed=false",
            "connect r=true w=true open pending=false destroyed=false",
            "ready r=true w=true open pending=false destroyed=false",
            "data bye",
            "end r=false w=true writeOnly pending=false destroyed=false",
            "finish r=false w=false closed pending=false destroyed=false",
            "close hadError=false r=false w=false closed pending=true destroyed=true",
        ])
    }

    // node: test/parallel/test-net-remote-address-port.js
    @Test func remoteAndLocalAddressesOnBothSides() throws {
        var checks: [String] = []
        withLoop { loop in
            var serverPort = 0
            let server = Server(loop: loop)
            server.on(.connection) { socket in
                checks.append("server sees \(socket.remoteAddress ?? "nil") \(socket.remoteFamily ?? "nil") portDiffers=\(socket.remotePort != serverPort)")
                socket.on(.close) { _ in checks.append("server close still sees \(socket.remoteAddress ?? "nil")") }
                socket.resume()
                socket.on(.end) { server.close() }
            }
            listenLocal(server) { port in
                serverPort = port
                let client = Socket(loop: loop)
                checks.append("before \(client.remoteAddress ?? "nil") \(client.remotePort.map(String.init) ?? "nil")")
                _ = try? client.connect(port: port, host: "127.0.0.1") {
                    checks.append("client sees \(client.remoteAddress ?? "nil") \(client.remoteFamily ?? "nil") \(client.remotePort == port)")
                    checks.append("local \(client.localAddress ?? "nil") \(client.localFamily ?? "nil") \(client.localPort ?? 0 > 0)")
                    client.end()
                }
                client.resume()
                client.on(.close) { _ in
                    checks.append("client close still sees \(client.remoteAddress ?? "nil") \(client.remotePort == port)")
                }
            }
        }
        #expect(checks.contains("before nil nil"))
        #expect(checks.contains("client sees 127.0.0.1 IPv4 true"))
        #expect(checks.contains("local 127.0.0.1 IPv4 true"))
        #expect(checks.contains("server sees 127.0.0.1 IPv4 portDiffers=true"))
        #expect(checks.contains("client close still sees 127.0.0.1 true"))
        #expect(checks.contains("server close still sees 127.0.0.1"))
    }

    // node: test/parallel/test-net-local-address-port.js — the client's local port is the
    // server side's remote port.
    @Test func clientLocalPortIsServerSideRemotePort() throws {
        var pair: (Int?, Int?) = (nil, nil)
        withLoop { loop in
            let server = Server(loop: loop)
            server.on(.connection) { socket in
                pair.1 = socket.remotePort
                socket.end()
                server.close()
            }
            listenLocal(server) { port in
                let client = dial(port, loop: loop)
                client.on(.connect) { pair.0 = client.localPort }
                client.resume()
            }
        }
        #expect(pair.0 != nil && pair.0 == pair.1)
    }

    // node: test/parallel/test-net-dns-lookup.js — a host name emits 'lookup' (no error, the
    // address, its family, the host); an IP literal emits none (test-net-dns-lookup-skip.js).
    @Test func lookupEventForNamesOnly() throws {
        var lookups: [String] = []
        withLoop { loop in
            let server = Net.createServer(loop: loop) { $0.end() }
            listenLocal(server) { port in
                let byName = dial(port, host: "localhost", loop: loop)
                byName.on(.lookup) { e in lookups.append("\(e.error == nil) \(e.address ?? "nil") \(e.family ?? 0) \(e.host)") }
                byName.resume()
                let byIP = dial(port, loop: loop)
                byIP.on(.lookup) { _ in lookups.append("ip literal looked up") }
                byIP.resume()
                var closed = 0
                for s in [byName, byIP] { s.on(.close) { _ in closed += 1; if closed == 2 { server.close() } } }
            }
        }
        #expect(lookups == ["true 127.0.0.1 4 localhost"])
    }

    // node: test/parallel/test-net-end-destroyed.js
    @Test func notDestroyedInsideEnd() throws {
        var destroyedAtEnd: Bool?
        withLoop { loop in
            let server = Net.createServer(loop: loop) { $0.end() }
            listenLocal(server) { port in
                let client = dial(port, loop: loop)
                client.resume()
                client.on(.end) {
                    destroyedAtEnd = client.destroyed
                    server.close()
                }
            }
        }
        #expect(destroyedAtEnd == false)
    }

    // node: test/parallel/test-net-allow-half-open.js — without allowHalfOpen the socket is not
    // destroyed at 'end' but shuts its own side down: 'finish' (still not destroyed), then 'close'.
    @Test func withoutHalfOpenTheSocketEndsItsOwnSide() throws {
        let log = Log()
        withLoop { loop in
            let server = Net.createServer(loop: loop) { $0.end(Buffer(count: 1024)) }
            listenLocal(server) { port in
                let socket = dial(port, loop: loop)
                log("allowHalfOpen=\(socket.allowHalfOpen)")
                socket.resume()
                socket.on(.end) {
                    loop.nextTick {
                        log("after end destroyed=\(socket.destroyed)")
                        server.close()
                    }
                }
                socket.on(.finish) { log("finish destroyed=\(socket.destroyed)") }
                socket.on(.close) { _ in log("close") }
            }
        }
        #expect(log.entries == ["allowHalfOpen=false", "after end destroyed=false", "finish destroyed=false", "close"])
    }

    // node: test/parallel/test-net-connect-options-allowhalfopen.js — with allowHalfOpen, after
    // 'end' the client is not readable but still writable, and its writes reach the server.
    @Test func halfOpenClientStaysWritableAfterEnd() throws {
        let log = Log()
        withLoop { loop in
            let server = Net.createServer(ServerOptions(allowHalfOpen: true), loop: loop) { socket in
                var received = ""
                socket.on(.data) { received += $0.toString() }
                socket.on(.end) {
                    log("server got \(received)")
                    socket.end()
                }
                socket.end("hello")
            }
            listenLocal(server) { port in
                let client = dial(port, loop: loop, options: SocketOptions(allowHalfOpen: true))
                client.resume()
                client.on(.end) {
                    log("end readable=\(client.readable) writable=\(client.writable)")
                    log("write returned \(client.write("after end"))")
                    client.end()
                }
                client.on(.close) { e in
                    log("close \(e.hadError)")
                    server.close()
                }
            }
        }
        // The server's line may come before or after the client's 'close'.
        #expect(log.entries.filter { !$0.hasPrefix("server") } == [
            "end readable=false writable=true", "write returned true", "close false",
        ])
        #expect(log.entries.contains("server got after end"))
    }

    // node: test/parallel/test-net-connect-destroy.js, test-net-connect-immediate-destroy.js
    @Test func destroyBeforeConnectingEmitsOnlyClose() throws {
        let log = Log()
        withLoop { loop in
            let never = Socket(loop: loop)
            never.on(.close) { e in log("unconnected close \(e.hadError)") }
            never.destroy()
            let early = dial(closedPort(), loop: loop)
            early.on(.connect) { log("connect") }
            early.on(.error) { e in log("error \(e.code)") }
            early.on(.close) { e in log("early close \(e.hadError)") }
            early.destroy()
        }
        #expect(log.entries.sorted() == ["early close false", "unconnected close false"])
    }

    // node: test/parallel/test-net-connect-memleak.js — the connect callback is a once-listener:
    // once 'connect' has fired, the socket no longer holds it, so what it captured is freed
    // while the socket is still open.
    @Test func connectCallbackIsReleasedOnceItHasRun() throws {
        final class Payload { let bytes = [UInt8](repeating: 7, count: 1 << 20) }
        weak var captured: Payload?
        var freedWhileOpen: Bool?
        try withLoop { loop in
            let server = Server(loop: loop) { $0.end() }
            listenLocal(server) { port in
                let socket = Socket(loop: loop)
                socket.on(.close) { _ in server.close() }
                do {
                    let payload = Payload()
                    captured = payload
                    try socket.connect(port: port, host: "127.0.0.1") {
                        _ = payload.bytes.count
                        loop.setImmediate {
                            freedWhileOpen = captured == nil && !socket.destroyed
                            socket.end()
                        }
                    }
                } catch {
                    Issue.record("connect threw \(error)")
                    server.close()
                }
            }
        }
        #expect(freedWhileOpen == true, "the connect callback (and what it captured) outlived 'connect'")
    }
}
