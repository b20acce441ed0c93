import Testing
import Foundation
@testable import NetCore

/// Carries a loop-confined value into a `@Sendable` closure that will only use it on the loop's
/// thread (through `EventLoop.execute`).
private final class LoopBound<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

// The loop's contract follows Node's event loop: process.nextTick, setTimeout/setInterval with
// ref/unref, and libuv's thread-safe wake-up for work from other threads.
@Suite struct EventLoopTests {
    // nextTick: after the current callback returns, before the next callback of the loop; FIFO;
    // ticks queued by ticks run in the same drain.
    @Test func nextTickRunsAfterTheCurrentCallbackInOrder() {
        let log = Log()
        withLoop { loop in
            loop.setTimeout(1) {
                log("timer1 start")
                loop.nextTick {
                    log("tick1")
                    loop.nextTick { log("tick3 (queued by tick1)") }
                }
                loop.nextTick { log("tick2") }
                log("timer1 end")
            }
            // Due at the same time: runs in the same timer phase, after timer1's ticks.
            loop.setTimeout(1) { log("timer2") }
        }
        #expect(log.entries == ["timer1 start", "timer1 end", "tick1", "tick2", "tick3 (queued by tick1)", "timer2"])
    }

    // Node's name for what setTimeout returns is `Timeout`; this file imports Foundation too, so
    // if the class were called `Timer` the unqualified `Timer` below would not compile.
    @Test func timeoutSitsBesideFoundationsTimer() {
        let foundationTimer: Timer? = nil
        var fired = false
        withLoop { loop in
            let timeout: Timeout = loop.setTimeout(1) { fired = true }
            #expect(timeout.hasRef())
        }
        #expect(foundationTimer == nil)
        #expect(fired)
    }

    @Test func ticksQueuedBeforeRunGoFirst() {
        let log = Log()
        withLoop { loop in
            loop.setTimeout(0) { log("timer") }
            loop.nextTick { log("tick") }
        }
        #expect(log.entries == ["tick", "timer"])
    }

    // A tick queued from an I/O callback runs before any other callback, even one for I/O that
    // is ready in the same poll (the accept and the connect of one connection usually are).
    @Test func tickQueuedInAnIOCallbackRunsBeforeTheNextCallback() throws {
        let log = Log()
        withLoop { loop in
            let server = Server(loop: loop) { socket in
                log("connection")
                loop.nextTick { log("connection tick") }
                socket.end()
            }
            listenLocal(server) { port in
                let client = Socket(loop: loop)
                client.on(.connect) {
                    log("connect")
                    loop.nextTick { log("connect tick") }
                }
                client.on(.close) { _ in server.close() }
                client.resume()
                _ = try? client.connect(port: port, host: "127.0.0.1")
            }
        }
        let connect = try #require(log.entries.firstIndex(of: "connect"))
        let connection = try #require(log.entries.firstIndex(of: "connection"))
        #expect(log.entries[connect + 1] == "connect tick")
        #expect(log.entries[connection + 1] == "connection tick")
    }

    @Test func timersFireInOrderOfTheirDelays() {
        let log = Log()
        withLoop { loop in
            loop.setTimeout(30) { log("30") }
            loop.setTimeout(10) { log("10a") }
            loop.setTimeout(20) { log("20") }
            loop.setTimeout(10) { log("10b") }
            loop.setTimeout(0) { log("0") }
        }
        #expect(log.entries == ["0", "10a", "10b", "20", "30"])
    }

    @Test func refedTimerKeepsRunAliveUntilItFires() {
        let clock = ContinuousClock()
        var fired = false
        let start = clock.now
        withLoop { loop in
            loop.setTimeout(40) { fired = true }
        }
        #expect(fired)
        #expect(clock.now - start >= .milliseconds(35))
    }

    // An unref'd timer does not keep run() going; it stays pending and can be closed later.
    @Test func unrefedTimerDoesNotKeepRunAlive() {
        let loop = EventLoop()
        let clock = ContinuousClock()
        var fired = false
        let timer = loop.setTimeout(10_000) { fired = true }
        timer.unref()
        #expect(timer.hasRef() == false)
        let start = clock.now
        loop.run()
        #expect(clock.now - start < .seconds(2))
        #expect(!fired)
        #expect(timer.isActive)
        timer.close()
        loop.run()
        #expect(loop.liveHandles == 0)
    }

    // ref() after unref() makes the timer hold the loop again.
    @Test func refAgainKeepsRunAlive() {
        var fired = false
        withLoop { loop in
            let timer = loop.setTimeout(20) { fired = true }
            timer.unref()
            timer.ref()
            #expect(timer.hasRef())
        }
        #expect(fired)
    }

    @Test func intervalRepeatsUntilClosed() {
        var count = 0
        var timer: NetCore.Timeout?
        withLoop { loop in
            timer = loop.setInterval(5) {
                count += 1
                if count == 3 { timer?.close() }
            }
        }
        #expect(count == 3)
        #expect(timer?.isActive == false)
    }

    // As in Node, an interval runs until it is closed even if nobody keeps the returned timer.
    @Test func intervalKeepsRunningWhenTheTimerIsNotKept() {
        var count = 0
        weak var weakTimer: NetCore.Timeout?
        withLoop { loop in
            weakTimer = loop.setInterval(2) {
                count += 1
                if count == 3 { weakTimer?.close() }
            }
        }
        #expect(count == 3)
        #expect(weakTimer == nil, "a closed interval is released")
    }

    @Test func stoppedTimerDoesNotFireAndCanRestart() {
        let log = Log()
        withLoop { loop in
            let timer = NetCore.Timeout(loop: loop) { log("fired") }
            timer.start(timeout: 5)
            timer.stop()
            #expect(!timer.isActive)
            loop.setTimeout(20) {
                log("later")
                timer.start(timeout: 1)
                loop.setTimeout(30) { timer.close() }
            }
        }
        #expect(log.entries == ["later", "fired"])
    }

    // execute: safe from any thread; the loop wakes at once (long before the 5 s keep-alive
    // timer) and runs the jobs on its own thread, in the order one thread submitted them.
    @Test func executeFromAnotherThreadRunsOnTheLoopThread() {
        var ran: [Int] = []
        var onLoopThread = true
        var keepAliveFired = false
        let clock = ContinuousClock()
        let start = clock.now
        // Held here so the last release (and the timer's deinit) happens on this thread.
        var holder: AnyObject?
        withLoop(timeout: 8000) { loop in
            let loopThread = pthread_self()
            let keepAlive = NetCore.Timeout(loop: loop) { keepAliveFired = true }
            keepAlive.start(timeout: 5000)
            let state = LoopBound((keepAlive, { (i: Int) in ran.append(i) }, { (ok: Bool) in onLoopThread = onLoopThread && ok }))
            holder = state
            Thread.detachNewThread {
                for i in 0..<100 {
                    loop.execute {
                        let (keepAlive, record, check) = state.value
                        check(pthread_equal(pthread_self(), loopThread) != 0)
                        record(i)
                        if i == 99 { keepAlive.close() }
                    }
                }
            }
        }
        #expect(ran == Array(0..<100))
        #expect(onLoopThread)
        #expect(!keepAliveFired)
        #expect(clock.now - start < .seconds(4))
        _ = holder
    }

    // Work submitted from several threads at once all arrives.
    @Test func executeFromManyThreads() {
        var total = 0
        var holder: AnyObject?
        withLoop(timeout: 8000) { loop in
            let keepAlive = NetCore.Timeout(loop: loop) { Issue.record("jobs did not all arrive") }
            keepAlive.start(timeout: 5000)
            let state = LoopBound((keepAlive, { total += 1; return total }))
            holder = state
            for _ in 0..<4 {
                Thread.detachNewThread {
                    for _ in 0..<250 {
                        loop.execute {
                            let (keepAlive, bump) = state.value
                            if bump() == 1000 { keepAlive.close() }
                        }
                    }
                }
            }
        }
        #expect(total == 1000)
        _ = holder
    }
}
