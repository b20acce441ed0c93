import Testing
@testable import NetCore

// setImmediate as Node has it: after the I/O callbacks of the current turn, before the timers of
// the next; FIFO; immediates queued by immediates wait for the next turn; ticks run after each
// callback; clear() cancels; unref() lets the loop end; no handle or timer per call.
@Suite struct ImmediateTests {
    // Inside an I/O callback an immediate always runs before a 0 ms timer (Node documents this
    // order for I/O callbacks; from the main module it is not fixed).
    @Test func runsBeforeAZeroTimerWhenQueuedFromIO() {
        let log = Log()
        withLoop { loop in
            let server = Server(loop: loop) { socket in
                loop.setTimeout(0) { log("timeout") }
                loop.setImmediate { log("immediate") }
                loop.nextTick { log("tick") }
                socket.destroy()
            }
            listenLocal(server) { port in
                let client = Socket(loop: loop)
                client.on(.close) { _ in server.close() }
                client.resume()
                _ = try? client.connect(port: port, host: "127.0.0.1")
            }
        }
        #expect(log.entries == ["tick", "immediate", "timeout"])
    }

    @Test func runInOrderWithTicksBetweenAndLaterOnesNextTurn() {
        let log = Log()
        withLoop { loop in
            loop.setImmediate {
                log("a")
                loop.nextTick { log("tick after a") }
                loop.setImmediate { log("c (queued by a)") }
            }
            loop.setImmediate { log("b") }
        }
        #expect(log.entries == ["a", "tick after a", "b", "c (queued by a)"])
    }

    @Test func clearCancelsAndUnrefLetsTheLoopEnd() {
        let log = Log()
        let loop = EventLoop()
        let cleared = loop.setImmediate { log("cleared one ran") }
        #expect(cleared.isPending)
        cleared.clear()
        #expect(!cleared.isPending)
        let unrefd = loop.setImmediate { log("unref'd one ran") }
        unrefd.unref()
        #expect(!unrefd.hasRef())
        // Nothing keeps the loop alive, so it ends before the unref'd immediate's turn.
        loop.run()
        #expect(log.entries == [])
        // A ref'ed one does keep it alive (and the unref'd one, queued first, runs in its turn).
        let i = loop.setImmediate { log("ran") }
        i.unref()
        i.ref()
        loop.run()
        #expect(log.entries == ["unref'd one ran", "ran"])
        #expect(!i.isPending)
        loop.close()
        #expect(loop.liveHandles == 0)
    }

    // No timer or handle per call: the loop's open handle count does not move.
    @Test func costsNoHandlePerCall() {
        var counts: [Int] = []
        var ran = 0
        var before = -1
        withLoop { loop in
            before = loop.liveHandles
            for _ in 0..<100 {
                loop.setImmediate {
                    ran += 1
                    counts.append(loop.liveHandles)
                }
            }
        }
        #expect(ran == 100)
        // Only withLoop's own guard timer is open besides what was open before.
        #expect(counts.allSatisfy { $0 == before + 1 }, "open handles while immediates ran: \(Set(counts))")
    }

    // The loop owns its immediate queue and the queue's handles: a loop that ran immediates is
    // freed like any other once the program lets go of it.
    @Test func aLoopThatUsedImmediatesIsReleased() {
        weak var weakLoop: EventLoop?
        var ran = false
        do {
            let loop = EventLoop()
            weakLoop = loop
            loop.setImmediate { ran = true }
            loop.run()
            // No close(): dropping the last reference must be enough (deinit closes the loop).
        }
        #expect(ran)
        #expect(weakLoop == nil, "the loop was kept alive after its last use")
    }
}
