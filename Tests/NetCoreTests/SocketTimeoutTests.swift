import Testing
import Logging
import InMemoryLogging
@testable import NetCore
import Net

/// Idle timeouts: set, cancelled, refreshed by writes, on sockets without a handle, and never
/// keeping the loop alive.
@Suite struct SocketTimeoutTests {
    // node: test/parallel/test-net-settimeout.js
    // setTimeout(ms, callback) returns the socket; setTimeout(0) right after cancels it, so
    // nothing fires while the server's "hello" sits unread for twice the delay.
    @Test func setTimeoutThenZeroNeverFires() {
        var fired = false
        var returnedSelf = false
        withLoop { loop in
            let server = Net.createServer(loop: loop) { $0.write("hello") }
            listenLocal(server) { port in
                let socket = dial(port, loop: loop)
                returnedSelf = (socket.setTimeout(50) { fired = true }) === socket
                socket.setTimeout(0)
                loop.setTimeout(100) {
                    socket.destroy()
                    server.close()
                }
            }
        }
        #expect(returnedSelf)
        #expect(!fired)
    }

    // node: test/parallel/test-net-can-reset-timeout.js
    // A write from inside the 'timeout' listener is allowed and restarts the countdown: the
    // timeout fires once, the client gets the write, and both sides end cleanly.
    @Test func writingInsideTimeoutIsAllowed() {
        var timeouts = 0
        var clientGot = ""
        var serverEnded = false
        withLoop { loop in
            let server = Server(loop: loop)
            server.on(.connection) { stream in
                stream.setTimeout(100)
                stream.resume()
                stream.on(.timeout) {
                    timeouts += 1
                    stream.write("WHAT.")
                }
                stream.on(.end) {
                    serverEnded = true
                    stream.end()
                }
            }
            listenLocal(server) { port in
                let c = dial(port, loop: loop)
                c.on(.data) { chunk in
                    clientGot += chunk.toString()
                    c.end()
                }
                c.on(.end) { server.close() }
            }
        }
        #expect(timeouts == 1)
        #expect(clientGot == "WHAT.")
        #expect(serverEnded)
    }

    // node: test/parallel/test-net-socket-timeout.js
    // A negative delay is Node's ERR_OUT_OF_RANGE; here setTimeout does not throw: the call
    // changes nothing and the loop's logger gets the error as a warning. 0, 1 and 1e6 are
    // accepted. A 1 ms timeout on a connecting socket fires; inside it the socket is destroyed,
    // and setTimeout on the destroyed socket returns it and never fires.
    @Test func rangeChecksAndNoTimeoutAfterDestroy() {
        withLoop { loop in
            let log = InMemoryLogHandler()
            loop.logger = Logger(label: "test") { _ in log }
            let idle = Socket(loop: loop)
            idle.setTimeout(1000)
            for bad in [-1, -1000, Int.min] {
                #expect(idle.setTimeout(bad) === idle)
                #expect(idle.timeout == 1000, "setTimeout(\(bad)) changed the timeout")
            }
            #expect(log.entries.count == 3)
            #expect(log.entries.allSatisfy { $0.level == .warning && $0.metadata["code"] == "ERR_OUT_OF_RANGE" })
            for good in [0, 1, 1_000_000] {
                #expect(idle.setTimeout(good) { } === idle)
            }
            idle.setTimeout(0)
        }
        var fired = 0
        var afterDestroyFired = false
        var returnedSelf = false
        withLoop { loop in
            let server = Net.createServer(loop: loop)
            listenLocal(server) { port in
                let socket = dial(port, loop: loop)
                socket.setTimeout(1) {
                    fired += 1
                    socket.destroy()
                    returnedSelf = (socket.setTimeout(1) { afterDestroyFired = true }) === socket
                    server.close()
                }
            }
            // Keep the loop alive long enough for a wrongly armed timer to fire.
            loop.setTimeout(50) {}
        }
        #expect(fired == 1)
        #expect(returnedSelf)
        #expect(!afterDestroyFired)
    }

    // node: test/parallel/test-net-timeout-no-handle.js
    // The timeout fires on a socket that never connected (no handle). Its timer does not keep
    // the loop alive: only the 200 ms timer does.
    @Test func timeoutFiresWithoutAHandle() {
        var handleAtTimeout: Bool?
        var connected = false
        withLoop { loop in
            let socket = Socket(loop: loop)
            socket.setTimeout(50)
            socket.on(.timeout) { handleAtTimeout = socket.handle != nil }
            socket.on(.connect) { connected = true }
            loop.setTimeout(200) { socket.removeAllListeners() }
        }
        #expect(handleAtTimeout == false)
        #expect(!connected)
    }

    // Without the ref'd timer of the previous test, nothing keeps the loop alive: run() ends
    // before the socket's timeout would fire.
    @Test func timeoutAloneDoesNotKeepTheLoopAlive() {
        var fired = false
        let loop = EventLoop()
        do {
            let socket = Socket(loop: loop)
            socket.setTimeout(50) { fired = true }
            #expect(runEndsByItself(loop, within: 1000))
            withExtendedLifetime(socket) {}
        }
        loop.run()
        #expect(!fired)
        #expect(loop.liveHandles == 0)
        #expect(loop.liveEmitters == 0)
    }

    // node: test/parallel/test-net-socket-timeout-unref.js
    // Six unref'd clients with pending timeouts of 2 to 8 s, an unref'd server and unref'd
    // server sides: the loop ends as soon as the clients are connected, and no timeout fires.
    @Test func unrefSocketsWithTimeoutsLetTheLoopEnd() {
        let loop = EventLoop()
        var timedOut = false
        var sockets: [Socket] = []
        var connected = 0
        var server: Server? = Net.createServer(loop: loop) { c in
            c.write("hello")
            c.unref()
            sockets.append(c)
        }
        server?.unref()
        if let server {
            listenLocal(server) { port in
                for t in [8, 5, 3, 6, 2, 4] {
                    let socket = dial(port, loop: loop) { connected += 1 }
                    socket.setTimeout(t * 1000) {
                        timedOut = true
                        socket.destroy()
                    }
                    socket.unref()
                    sockets.append(socket)
                }
            }
        }
        #expect(runEndsByItself(loop, within: 1500))
        #expect(!timedOut)
        #expect(connected == 6)
        for s in sockets { s.destroy() }
        server?.close()
        sockets = []
        server = nil
        loop.run()
        #expect(loop.liveHandles == 0)
        #expect(loop.liveEmitters == 0)
    }
}

/// node: lib/net.js `_onTimeout` — a long write that keeps making progress holds the timeout
/// off; once the peer stops reading, 'timeout' comes.
@Suite struct ProgressAwareTimeoutTests {
    @Test func aProgressingWriteHoldsTheTimeoutOff() throws {
        var timeoutAt: UInt64?
        var stoppedAt: UInt64?
        var bursts = 0
        withLoop(timeout: 10_000) { loop in
            let server = Server(loop: loop)
            var peer: Socket?
            server.on(.connection) { s in
                peer = s
                s.pause()
                // Read a little every 30 ms for 10 rounds, then stop reading.
                let reader = loop.setInterval(30) {
                    bursts += 1
                    if bursts <= 10 {
                        s.resume()
                        loop.setTimeout(2) { s.pause() }
                    } else if stoppedAt == nil {
                        stoppedAt = loop.now
                    }
                }
                s.on(.close) { _ in reader.close() }
            }
            listenLocal(server) { port in
                let c = dial(port, loop: loop)
                c.setTimeout(100)
                c.on(.timeout) {
                    timeoutAt = loop.now
                    c.destroy()
                    peer?.destroy()
                    server.close()
                }
                c.on(.connect) { c.write(Buffer(count: 64 << 20)) }
            }
        }
        let fired = try #require(timeoutAt as UInt64?, "'timeout' never fired")
        let stopped = try #require(stoppedAt as UInt64?, "the reader never stopped")
        #expect(fired >= stopped, "'timeout' fired while the write was still progressing")
    }
}
