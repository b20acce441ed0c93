import Testing
@testable import NetCore
import Net

/// `listen`: its forms, its validation, listening twice, after an error and after close.
@Suite struct ListenTests {
    // node: test/parallel/test-net-server-listen-options.js — listen(), listen(cb), listen(0)
    @Test func listenFormsAllReachListening() throws {
        var listened = 0
        try withLoop { loop in
            let a = Server(loop: loop)
            try a.listen()
            a.on(.listening) { listened += 1; a.close() }
            let b = Server(loop: loop)
            try b.listen { listened += 1; b.close() }
            let c = Server(loop: loop)
            try c.listen(port: 0, host: "127.0.0.1", backlog: 10) { listened += 1; c.close() }
        }
        #expect(listened == 3)
    }

    // node: test/parallel/test-net-server-listen-options.js (bad ports)
    @Test func badListenPortsThrow() {
        let loop = EventLoop()
        for port in [-1, 65536, Int.max] {
            do throws(NetError) {
                try Server(loop: loop).listen(port: port)
                Issue.record("port \(port) was accepted")
            } catch {
                #expect(error.code == .ERR_SOCKET_BAD_PORT)
                #expect(error.name == "RangeError")
                #expect(error.message == "options.port should be >= 0 and < 65536. Received type number (\(port)).")
            }
        }
        loop.run()
        #expect(loop.liveHandles == 0)
    }

    // node: test/parallel/test-net-server-call-listen-multiple-times.js (second test)
    @Test func secondListenThrowsAlreadyListening() throws {
        var thrown: NetError?
        try withLoop { loop in
            let server = Server(loop: loop)
            try server.listen(port: 0, host: "127.0.0.1") {
                do throws(NetError) { try server.listen(port: 0) } catch { thrown = error }
                server.close()
            }
        }
        #expect(thrown?.code == .ERR_SERVER_ALREADY_LISTEN)
        #expect(thrown?.message == "Listen method has been called more than once without closing.")
    }

    // node: test/parallel/test-net-server-call-listen-multiple-times.js (first test)
    // node: test/parallel/test-net-bind-twice.js
    // node: test/parallel/test-net-eaddrinuse.js
    // node: test/parallel/test-net-server-try-ports.js — a second server on a busy port gets
    // EADDRINUSE as 'error' with Node's fields, and that same server may listen again at once
    // (on port 0) while the first keeps its port.
    @Test func addressInUseIsAnErrorEventAndListenWorksAfter() throws {
        var error: NetError?
        var relistened = false
        var busyPort = 0
        withLoop { loop in
            let first = Server(loop: loop)
            listenLocal(first) { port in
                busyPort = port
                let second = Server(loop: loop)
                second.on(.error) { e in
                    error = e
                    _ = try? second.listen(port: 0, host: "127.0.0.1") {
                        relistened = second.listening
                        second.close()
                        first.close()
                    }
                }
                _ = try? second.listen(port: port, host: "127.0.0.1")
            }
        }
        let e = try #require(error)
        #expect(e.code == .EADDRINUSE)
        #expect(e.message == "listen EADDRINUSE: address already in use 127.0.0.1:\(busyPort)")
        #expect(e.syscall == "listen" && e.address == "127.0.0.1" && e.port == busyPort && e.errno == -98)
        #expect(relistened)
    }

    // node: test/parallel/test-net-server-call-listen-multiple-times.js (third test)
    @Test func listenAgainAfterClose() throws {
        var count = 0
        try withLoop { loop in
            let server = Server(loop: loop)
            try server.listen(port: 0, host: "127.0.0.1") {
                count += 1
                server.close()
                _ = try? server.listen(port: 0, host: "127.0.0.1") {
                    count += 1
                    server.close()
                }
            }
        }
        #expect(count == 2)
    }

    // node: test/parallel/test-net-listening.js and test/sequential/test-net-server-address.js
    @Test func listeningFlagAndAddressThroughTheLifecycle() throws {
        let log = Log()
        try withLoop { loop in
            let server = Server(loop: loop)
            log("before \(server.listening) \((try? server.address()) == nil)")
            try server.listen(port: 0) {
                let a = try? server.address()
                log("in callback \(server.listening) \(a?.address ?? "nil") \(a?.family ?? "nil") \((a?.port ?? 0) > 0)")
                server.close {_ in log("closed \(server.listening) \((try? server.address()) == nil)") }
                log("after close \(server.listening)")
            }
        }
        #expect(log.entries == [
            "before false true", "in callback true :: IPv6 true", "after close false", "closed false true",
        ])
    }

    // node: test/parallel/test-net-listen-close-server.js
    @Test func closeRightAfterListenEmitsNeitherListeningNorError() throws {
        let log = Log()
        try withLoop { loop in
            let server = Server(loop: loop)
            server.on(.listening) { log("listening") }
            server.on(.error) { _ in log("error") }
            server.on(.close) { log("close") }
            try server.listen(port: 0)
            server.close()
        }
        #expect(log.entries == ["close"])
    }

    // node: test/parallel/test-net-server-close.js (close on a server that never listened)
    @Test func closeWithoutListeningGivesNotRunning() throws {
        var error: NetError?
        withLoop { loop in
            Server(loop: loop).close { error = $0 }
        }
        #expect(error?.code == .ERR_SERVER_NOT_RUNNING)
        #expect(error?.message == "Server is not running.")
    }

    // A host name is looked up before binding.
    @Test func listenOnAHostName() throws {
        var bound: String?
        try withLoop { loop in
            let server = Server(loop: loop)
            try server.listen(port: 0, host: "localhost") {
                bound = (try? server.address())?.address
                server.close()
            }
        }
        #expect(bound == "127.0.0.1" || bound == "::1")
    }
}
