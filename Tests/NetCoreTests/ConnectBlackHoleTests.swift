import Testing
import Foundation
@testable import NetCore

/// Connects that never complete: Node's internet tests aim at an address that drops SYNs. On
/// loopback the same happens at a listener whose accept queue is full (`RawListener(full:)`: a
/// backlog of 0 and one connection it never accepts, so every further SYN goes unanswered).
@Suite struct ConnectBlackHoleTests {
    // node: test/internet/test-net-connect-timeout.js — setTimeout on a socket whose connect
    // never completes: 'timeout' fires while it is still connecting, 'connect' never does, and
    // destroy() from the listener closes it without an error.
    @Test func timeoutFiresWhileConnecting() throws {
        let blackHole = try #require(RawListener(host: "127.0.0.1", full: true), "cannot fill an accept queue")
        defer { blackHole.close() }
        let port = blackHole.port
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
        let listener = try #require(RawListener(host: "127.0.0.1", full: false), "cannot listen")
        defer { listener.close() }
        let port = listener.port
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
