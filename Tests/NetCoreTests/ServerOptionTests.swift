import Testing
import Foundation
@testable import NetCore
import Net

/// Server options applied at accept, ref/unref, addresses, and closing in odd moments.
@Suite struct ServerOptionTests {
    // node: test/parallel/test-net-server-pause-on-connect.js
    @Test func pauseOnConnectReadsNothingUntilResume() throws {
        let log = Log()
        withLoop { loop in
            let server = Net.createServer(ServerOptions(pauseOnConnect: true), loop: loop) { socket in
                var resumed = false
                socket.on(.data) { chunk in
                    log("data \(chunk.toString()) resumed=\(resumed)")
                    socket.end()
                }
                // Give the client's bytes time to arrive, then resume.
                loop.setTimeout(50) {
                    log("before resume bytesRead=\(socket.bytesRead) paused=\(socket.isPaused())")
                    resumed = true
                    socket.resume()
                }
            }
            listenLocal(server) { port in
                let c = dial(port, loop: loop)
                c.write("hello")
                c.resume()
                c.on(.close) { _ in server.close() }
            }
        }
        #expect(log.entries == ["before resume bytesRead=0 paused=true", "data hello resumed=true"])
    }

    // node: test/parallel/test-net-server-nodelay.js and test-net-server-keepalive.js — the
    // options reach the accepted socket's descriptor.
    @Test func noDelayAndKeepAliveAreAppliedAtAccept() throws {
        var seen: (nodelay: Int32, keepalive: Int32, idle: Int32, count: Int32, interval: Int32)?
        withLoop { loop in
            let options = ServerOptions(noDelay: true, keepAlive: true, keepAliveInitialDelay: 7000)
            let server = Net.createServer(options, loop: loop) { socket in
                if let fd = socket.fileDescriptor {
                    seen = (sockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY), sockopt(fd, SOL_SOCKET, SO_KEEPALIVE),
                            sockopt(fd, Int32(IPPROTO_TCP), TCP_KEEPIDLE),
                            sockopt(fd, Int32(IPPROTO_TCP), TCP_KEEPCNT), sockopt(fd, Int32(IPPROTO_TCP), TCP_KEEPINTVL))
                }
                socket.end()
            }
            listenLocal(server) { port in
                let c = dial(port, loop: loop)
                c.resume()
                c.on(.close) { _ in server.close() }
            }
        }
        #expect(seen?.nodelay == 1)
        #expect(seen?.keepalive == 1)
        #expect(seen?.idle == 7)
        // Node's probes: ten of them, a second apart.
        #expect(seen?.count == 10)
        #expect(seen?.interval == 1)
    }

    // node: test/parallel/test-net-server-unref.js, test-net-server-unref-persistent.js —
    // an unref'd server (before or after listen) lets run() return.
    @Test func unrefLetsTheLoopEnd() throws {
        for before in [true, false] {
            let loop = EventLoop()
            let server = Server(loop: loop)
            var listening = false
            if before { server.unref() }
            try server.listen(port: 0, host: "127.0.0.1") { listening = true }
            if !before { server.unref() }
            let guardTimer = Timeout(loop: loop) { Issue.record("run() did not return with an unref'd server") ; server.close() }
            guardTimer.unref()
            guardTimer.start(timeout: 5000)
            loop.run()
            #expect(listening, "unref before listen: \(before)")
            #expect(server.listening)
            guardTimer.close()
            server.close()
            loop.run()
            #expect(loop.liveHandles == 0)
        }
    }

    // node: test/parallel/test-net-server-close-before-calling-lookup-callback.js
    @Test func closeWhileTheHostLookupIsPendingBindsNothing() throws {
        let log = Log()
        withLoop { loop in
            let server = Server(loop: loop)
            server.on(.listening) { log("listening") }
            server.on(.close) { log("close bound=\((try? server.address()) != nil)") }
            _ = try? server.listen(port: 0, host: "localhost")
            server.close()
        }
        #expect(log.entries == ["close bound=false"])
    }

    // node: test/parallel/test-net-listen-exclusive-random-ports.js — `exclusive` is accepted
    // (there is no cluster to share with) and the server listens as usual.
    @Test func exclusiveIsAccepted() throws {
        var port: Int?
        withLoop { loop in
            let server = Server(loop: loop)
            _ = try? server.listen(ListenOptions(port: 0, host: "127.0.0.1", exclusive: true)) {
                port = (try? server.address())?.port
                server.close()
            }
        }
        #expect((port ?? 0) > 0)
    }

    // node: test/sequential/test-net-server-address.js
    @Test func addressForEachKindOfHost() throws {
        var seen: [String] = []
        withLoop { loop in
            for host in ["127.0.0.1", "::1", nil] as [String?] {
                let server = Server(loop: loop)
                _ = try? server.listen(port: 0, host: host) {
                    if case .inet(let a)? = try? server.address() { seen.append("\(a.address) \(a.family) \(a.port > 100)") }
                    server.close()
                }
            }
        }
        #expect(Set(seen) == ["127.0.0.1 IPv4 true", "::1 IPv6 true", ":: IPv6 true"])
    }

    // node: test/parallel/test-net-server-listen-remove-callback.js — the listen callback is a
    // once-listener.
    @Test func listenCallbackIsAOnceListener() throws {
        var counts: [Int] = []
        withLoop { loop in
            let server = Server(loop: loop)
            _ = try? server.listen(port: 0, host: "127.0.0.1") {
                loop.nextTick {
                    counts.append(server.listenerCount(.listening))
                    server.close()
                }
            }
            counts.append(server.listenerCount(.listening))
        }
        #expect(counts == [1, 0])
    }

    // node: test/parallel/test-net-server-reset.js — resetAndDestroy on accepted sockets gives
    // the clients ECONNRESET, and the server still closes.
    @Test func resetAcceptedSocketsThenClose() throws {
        var codes: [String] = []
        var closed = false
        withLoop { loop in
            let server = Server(loop: loop)
            var accepted: [Socket] = []
            server.on(.connection) { socket in
                accepted.append(socket)
                socket.on(.data) { _ in }
                if accepted.count == 3 {
                    for s in accepted { _ = try? s.resetAndDestroy() }
                    accepted = []
                    server.close { _ in closed = true }
                }
            }
            listenLocal(server) { port in
                for _ in 0..<3 {
                    let c = dial(port, loop: loop)
                    c.on(.error) { codes.append($0.code.rawValue) }
                    c.resume()
                }
            }
        }
        #expect(codes == ["ECONNRESET", "ECONNRESET", "ECONNRESET"])
        #expect(closed)
    }
}

/// An integer socket option of a descriptor (`getsockopt`), or -1.
func sockopt(_ fd: Int32, _ level: Int32, _ name: Int32) -> Int32 {
    var value: Int32 = -1
    var size = socklen_t(MemoryLayout<Int32>.size)
    return getsockopt(fd, level, name, &value, &size) == 0 ? value : -1
}

/// `highWaterMark` and `allowHalfOpen` reach accepted sockets; `net-echo --loops`.
@Suite struct ServerOptionReachTests {
    @Test func acceptedSocketsGetTheServersHighWaterMarkAndHalfOpen() throws {
        var seen: (Int, Int, Bool)?
        withLoop { loop in
            let server = Net.createServer(ServerOptions(allowHalfOpen: true, highWaterMark: 1234), loop: loop) { s in
                seen = (s.readableHighWaterMark, s.writableHighWaterMark, s.allowHalfOpen)
                s.end()
            }
            listenLocal(server) { port in
                let c = dial(port, loop: loop)
                c.resume()
                c.on(.close) { _ in server.close() }
            }
        }
        #expect(seen?.0 == 1234 && seen?.1 == 1234 && seen?.2 == true)
    }

    @Test func netEchoServesFromSeveralLoops() throws {
        let path = builtProduct("net-echo")
        try #require(FileManager.default.isExecutableFile(atPath: path), "net-echo is not built at \(path)")
        let echo = try #require(ChildProcess(path, ["--port", "0", "--host", "127.0.0.1", "--loops", "2"]))
        defer { echo.stop() }
        let port = try #require(ChildProcess.port(fromListeningLine: echo.readLine()))
        var replies = 0
        withLoop(timeout: 20_000) { loop in
            for i in 0..<20 {
                let c = dial(port, loop: loop)
                c.on(.data) { if $0.toString() == "n\(i)" { replies += 1 } }
                c.end("n\(i)")
            }
        }
        #expect(replies == 20)
        kill(echo.process.processIdentifier, SIGTERM)
        #expect(echo.waitForExit(timeout: 10) == 0)
    }
}
