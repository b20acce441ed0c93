import Testing
@testable import NetCore
import Net

/// Countdowns that activity restarts by only recording it: a socket's idle timeout (`IdleTimer`)
/// must still end exactly a period after the last read or write, once per idle stretch, and a
/// refreshed `Timeout` a whole delay after its last `refresh()`, as Node's do.
@Suite struct IdleTimeoutTests {
    // node (v20), the same steps: a server socket with setTimeout(100); the client writes "a" at
    // 250 ms, the server writes at 450 and 500 ms, the client ends at 800 ms. node printed
    //   107 timeout · 257 data a · 357 timeout · 457 write · 507 write · 607 timeout · 808 close
    // so each 'timeout' comes a period after the last read or write, and a socket that stays idle
    // after one hears nothing more until its next activity (no 'timeout' between 107 and 257).
    @Test func eachTimeoutComesOnePeriodAfterTheLastReadOrWrite() {
        let log = Log()
        // The loop's clock (ms) at each activity and at each 'timeout'.
        var lastActivity: UInt64 = 0
        var gaps: [UInt64] = []
        withLoop(timeout: 10_000) { loop in
            let server = Net.createServer(loop: loop) { socket in
                lastActivity = loop.now
                socket.setTimeout(100)
                socket.on(.timeout) {
                    log("timeout")
                    gaps.append(loop.now - lastActivity)
                }
                socket.on(.data) { chunk in
                    lastActivity = loop.now
                    log("data \(chunk.toString())")
                }
                socket.on(.close) { _ in log("close") }
                for at: UInt64 in [450, 500] {
                    loop.setTimeout(at) {
                        log("write")
                        lastActivity = loop.now
                        socket.write("w")
                    }
                }
            }
            listenLocal(server) { port in
                let client = dial(port, loop: loop)
                client.on(.data) { _ in }
                client.on(.close) { _ in server.close() }
                loop.setTimeout(250) { client.write("a") }
                loop.setTimeout(800) { client.end() }
            }
        }
        #expect(log.entries == ["timeout", "data a", "timeout", "write", "write", "timeout", "close"])
        #expect(gaps.count == 3 && gaps.allSatisfy { $0 >= 100 }, "ms from the last activity to each 'timeout': \(gaps)")
    }

    // A busy connection never times out: the client writes every 20 ms for 400 ms against a
    // 100 ms timeout, and the one 'timeout' comes a period after its last chunk.
    @Test func steadyTrafficHoldsTheTimeoutOff() {
        var timeouts: [UInt64] = []
        var lastChunk: UInt64 = 0
        var chunks = 0
        withLoop(timeout: 10_000) { loop in
            let server = Net.createServer(loop: loop) { socket in
                socket.setTimeout(100) {
                    timeouts.append(loop.now)
                    socket.end()
                }
                socket.on(.data) { _ in
                    chunks += 1
                    lastChunk = loop.now
                }
            }
            listenLocal(server) { port in
                let client = dial(port, loop: loop)
                client.on(.end) { server.close() }
                var sent = 0
                var ticker: Timeout?
                ticker = loop.setInterval(20) {
                    client.write("x")
                    sent += 1
                    if sent == 20 { ticker?.close() }
                }
            }
        }
        #expect(chunks >= 1)
        #expect(timeouts.count == 1, "'timeout' at \(timeouts), last chunk at \(lastChunk)")
        if let at = timeouts.first { #expect(at >= lastChunk + 100, "'timeout' \(at - lastChunk) ms after the last chunk") }
    }

    // setTimeout with a shorter delay while a longer countdown runs takes effect at once.
    @Test func aShorterTimeoutReplacesALongerOne() {
        var elapsed: UInt64?
        withLoop(timeout: 5_000) { loop in
            let server = Net.createServer(loop: loop) { socket in
                let start = loop.now
                socket.setTimeout(60_000)
                socket.setTimeout(50) {
                    elapsed = loop.now - start
                    socket.destroy()
                }
            }
            listenLocal(server) { port in
                let client = dial(port, loop: loop)
                client.on(.close) { _ in server.close() }
            }
        }
        let ms = try? #require(elapsed, "no 'timeout' within 5 s")
        if let ms { #expect(ms >= 50 && ms < 60_000, "'timeout' after \(ms) ms") }
    }

    // node (v20): a 100 ms setTimeout refreshed every 30 ms five times, then refreshed again at
    // 400 ms, long after it fired; node printed "fired 254", "refresh at 401", "fired 502". A
    // refresh of a pending timer only notes the time (`Timeout.refresh`), so this checks the
    // callback still waits a whole delay after the last refresh, and a fired timer restarts.
    @Test func refreshingATimerDelaysItFromTheLastRefresh() {
        var fired: [UInt64] = []
        var refreshed: [UInt64] = []
        withLoop(timeout: 5_000) { loop in
            let timer = Timeout(loop: loop) { fired.append(loop.now) }
            timer.start(timeout: 100)
            var count = 0
            var ticker: Timeout?
            ticker = loop.setInterval(30) {
                timer.refresh()
                refreshed.append(loop.now)
                count += 1
                if count == 5 { ticker?.close() }
            }
            loop.setTimeout(400) {
                #expect(!timer.isActive, "the timer was still pending at 400 ms")
                timer.refresh()
                refreshed.append(loop.now)
            }
            loop.setTimeout(700) { timer.close() }
        }
        #expect(fired.count == 2, "fired at \(fired), refreshed at \(refreshed)")
        #expect(refreshed.count == 6)
        if fired.count == 2, refreshed.count == 6 {
            #expect(fired[0] >= refreshed[4] + 100 && fired[0] < refreshed[5], "first call \(fired[0] - refreshed[4]) ms after the fifth refresh")
            #expect(fired[1] >= refreshed[5] + 100, "second call \(fired[1] - refreshed[5]) ms after the last refresh")
        }
    }
}

