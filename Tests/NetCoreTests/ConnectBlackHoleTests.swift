import Testing
import Foundation
@testable import NetCore

/// Connects that never complete: Node's internet tests aim at an address that drops SYNs. On
/// loopback the same happens at a listener whose accept queue is full: a socket listening with
/// a backlog of 0 that holds one connection it never accepts ignores every further SYN.
@Suite struct ConnectBlackHoleTests {
    /// A loopback port whose SYNs go unanswered, and the descriptors that make it so (the
    /// caller closes them).
    private func blackHole() throws -> (port: Int, fds: [Int32]) {
        let (listener, port) = boundLoopbackSocket()
        try #require(listen(listener, 0) == 0, "listen(0) failed: errno \(errno)")
        let filler = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = UInt16(port).bigEndian
        let r = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(filler, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        try #require(r == 0, "the connection that fills the accept queue failed: errno \(errno)")
        return (port, [filler, listener])
    }

    // node: test/internet/test-net-connect-timeout.js — setTimeout on a socket whose connect
    // never completes: 'timeout' fires while it is still connecting, 'connect' never does, and
    // destroy() from the listener closes it without an error.
    @Test func timeoutFiresWhileConnecting() throws {
        let (port, fds) = try blackHole()
        defer { fds.forEach { close($0) } }
        let log = Log()
        var elapsed: UInt64 = 0
        try withLoop(timeout: 10_000) { loop in
            let started = loop.now
            let socket = Socket(loop: loop)
            socket.setTimeout(200)
            socket.on(.connect) { log("connect") }
            socket.on(.error) { log("error \($0.code)") }
            socket.on(.timeout) {
                elapsed = loop.now - started
                log("timeout connecting=\(socket.connecting)")
                socket.destroy()
            }
            socket.on(.close) { log("close \($0.hadError)") }
            try socket.connect(port: port, host: "127.0.0.1")
        }
        #expect(log.entries == ["timeout connecting=true", "close false"])
        #expect(elapsed >= 190, "'timeout' after \(elapsed) ms, before the 200 ms idle time")
    }

    // node: test/internet/test-net-connect-unref.js — a socket unref'd once connected no longer
    // keeps the loop alive: run() returns with it open, and 'close' has not been emitted. The
    // peer is a listener that never accepts (the kernel completes the handshake for it), so
    // nothing else in this loop is alive. (While a connect is still in flight, its request
    // keeps the loop alive, in libuv and so in Node.)
    @Test func unrefAfterConnectLetsTheLoopEnd() throws {
        let (listener, port) = boundLoopbackSocket()
        defer { close(listener) }
        try #require(listen(listener, 8) == 0, "listen failed: errno \(errno)")
        let log = Log()
        let loop = EventLoop()
        loop.onUnhandledError = { error, _ in log("unhandled \(error.code)") }
        let socket = Socket(loop: loop)
        socket.on(.close) { log("close \($0.hadError)") }
        try socket.connect(port: port, host: "127.0.0.1") {
            log("connect")
            socket.unref()
        }
        // A referenced guard would keep the loop alive and hide the bug; this one is unref'd
        // too and only ends a loop that would otherwise hang.
        var guardFired = false
        let guardTimer = Timeout(loop: loop) { guardFired = true; socket.destroy() }
        guardTimer.unref()
        guardTimer.start(timeout: 5_000)
        loop.run()
        #expect(!guardFired, "the loop stayed alive for an unref'd socket")
        #expect(log.entries == ["connect"], "'close' is not emitted before run() returns")
        #expect(!socket.destroyed && socket.readyState == "open")
        // Clean up: destroy it and let the close finish.
        guardTimer.close()
        socket.destroy()
        loop.run()
        #expect(log.entries == ["connect", "close false"])
        #expect(loop.liveHandles == 0)
    }
}
