import Testing
@testable import NetCore
import Net

/// Connect options and the smaller socket calls: timeout, localPort, IPv6, destroySoon.
@Suite struct SocketOptionTests {
    // node: test/parallel/test-net-socket-timeout.js — 'timeout' fires on an idle socket and
    // does not close it.
    @Test func timeoutOptionEmitsTimeoutAndKeepsTheSocketOpen() throws {
        let log = Log()
        withLoop { loop in
            let server = Net.createServer(loop: loop) { $0.resume() }
            listenLocal(server) { port in
                var options = SocketConnectOptions(port: port, host: "127.0.0.1")
                options.timeout = 50
                do {
                    let c = try Net.connect(options, loop: loop)
                    log("timeout=\(c.timeout ?? -1)")
                    c.on(.timeout) {
                        log("timeout destroyed=\(c.destroyed) \(c.readyState)")
                        c.destroy()
                        server.close()
                    }
                    c.on(.close) { _ in log("close") }
                } catch {
                    Issue.record("connect threw \(error)")
                }
            }
        }
        #expect(log.entries == ["timeout=50", "timeout destroyed=false open", "close"])
    }

    // node: test/parallel/test-net-settimeout.js — setTimeout(0) cancels a pending timeout.
    @Test func setTimeoutZeroCancels() throws {
        var fired = false
        withLoop { loop in
            let server = Net.createServer(loop: loop) { $0.resume() }
            listenLocal(server) { port in
                let c = dial(port, loop: loop)
                c.setTimeout(30) { fired = true }
                c.setTimeout(0)
                #expect(c.timeout == 0)
                loop.setTimeout(80) {
                    c.destroy()
                    server.close()
                }
            }
        }
        #expect(!fired)
    }

    // node: test/sequential/test-net-localport.js — an explicit localPort is used: the
    // server side sees it as the remote port, and the client's own localPort says so at
    // 'connect'.
    @Test func explicitLocalPortIsUsed() throws {
        let wanted = closedPort()
        var seen: Int?
        var own: Int?
        withLoop { loop in
            let server = Server(loop: loop)
            server.on(.connection) { socket in
                seen = socket.remotePort
                socket.end()
                server.close()
            }
            listenLocal(server) { port in
                var options = SocketConnectOptions(port: port, host: "127.0.0.1")
                options.localPort = wanted
                options.localAddress = "127.0.0.1"
                do {
                    let c = try Net.connect(options, loop: loop)
                    c.on(.connect) { own = c.localPort }
                    c.resume()
                } catch { Issue.record("\(error)") }
            }
        }
        #expect(seen == wanted)
        #expect(own == wanted)
    }

    // node: test/parallel/test-net-pingpong.js (IPv6 leg) — connecting over ::1.
    @Test func connectsOverIPv6Loopback() throws {
        var remote: String?
        withLoop { loop in
            let server = Net.createServer(loop: loop) { $0.end("six") }
            listenLocal(server, host: "::1") { port in
                let c = dial(port, host: "::1", loop: loop)
                c.on(.data) { _ in remote = "\(c.remoteAddress ?? "") \(c.remoteFamily ?? "") \(c.localFamily ?? "")" }
                c.on(.close) { _ in server.close() }
            }
        }
        #expect(remote == "::1 IPv6 IPv6")
    }

    // node: test/sequential/test-net-response-size.js — destroySoon sends everything queued,
    // then closes.
    @Test func destroySoonFlushesFirst() throws {
        let size = 1 << 20
        var received = 0
        var ended = false
        withLoop { loop in
            let server = Net.createServer(loop: loop) { socket in
                socket.write(Buffer(patternBytes(size)))
                socket.destroySoon()
            }
            listenLocal(server) { port in
                let c = dial(port, loop: loop)
                c.on(.data) { received += $0.count }
                c.on(.end) { ended = true }
                c.on(.close) { _ in server.close() }
            }
        }
        #expect(received == size)
        #expect(ended)
    }

    // node: test/parallel/test-net-socket-setnodelay.js, test-net-keepalive.js — chainable,
    // remembered before connect.
    @Test func noDelayAndKeepAliveAreChainableBeforeConnect() throws {
        var connected = false
        withLoop { loop in
            let server = Net.createServer(loop: loop) { $0.end() }
            listenLocal(server) { port in
                let c = Socket(loop: loop)
                let same = c.setNoDelay().setKeepAlive(true, initialDelay: 1000)
                #expect(same === c)
                _ = try? c.connect(port: port, host: "127.0.0.1") { connected = true }
                c.resume()
                c.on(.close) { _ in server.close() }
            }
        }
        #expect(connected)
    }
}

/// Writes on a socket that never connected.
@Suite struct UnconnectedWriteTests {
    // Checked against node v20: the callback and 'error' get ERR_SOCKET_CLOSED, write returns false.
    @Test func writeOnAnUnconnectedSocketFailsWithSocketClosed() throws {
        let log = Log()
        withLoop { loop in
            let s = Socket(loop: loop)
            s.on(.error) { log("error \($0.code) \($0.message)") }
            s.on(.close) { _ in log("close") }
            log("returned \(s.write("x") { log("callback \($0?.code.rawValue ?? "nil")") })")
        }
        #expect(log.entries == ["returned false", "callback ERR_SOCKET_CLOSED", "error ERR_SOCKET_CLOSED Socket is closed", "close"])
    }
}
