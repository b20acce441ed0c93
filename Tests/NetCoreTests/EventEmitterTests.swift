import Testing
@testable import NetCore

/// A bare emitter for exercising the listener table on its own.
private final class Emitter: EventEmitter {
    let listenerTable = ListenerTable()
}

extension Event where Source == Emitter, Payload == Int {
    fileprivate static var tick: Self { .init("tick") }
}

extension Event where Source == Emitter, Payload == String {
    fileprivate static var word: Self { .init("word") }
    /// Same name as `tick`, another payload type: a separate event.
    fileprivate static var tickText: Self { .init("tick") }
}

// The semantics follow Node's `events` module (lib/events.js), checked against node v20:
// listeners run in order, a listener list is fixed when an emit starts, and a once-listener is
// removed just before it runs.
@Suite struct EventEmitterTests {
    @Test func listenersRunInOrderAddedAndEmitReportsWhetherAnyRan() {
        let e = Emitter()
        let log = Log()
        #expect(e.emit(.tick, 0) == false)
        e.on(.tick) { log("a\($0)") }
        e.on(.tick) { log("b\($0)") }
        #expect(e.emit(.tick, 1) == true)
        #expect(e.emit(.tick, 2) == true)
        #expect(log.entries == ["a1", "b1", "a2", "b2"])
        #expect(e.listenerCount(.tick) == 2)
        #expect(e.listenerCount(.word) == 0)
    }

    @Test func onAndOnceReturnTheEmitter() {
        let e = Emitter()
        #expect(e.on(.tick) { _ in } === e)
        #expect(e.once(.tick) { _ in } === e)
        #expect(e.prependListener(.tick) { _ in } === e)
        #expect(e.prependOnceListener(.tick) { _ in } === e)
        #expect(e.removeAllListeners(.tick) === e)
        #expect(e.removeAllListeners() === e)
    }

    @Test func onceRunsOnlyOnce() {
        let e = Emitter()
        let log = Log()
        e.once(.tick) { log("once\($0)") }
        e.on(.tick) { log("on\($0)") }
        #expect(e.listenerCount(.tick) == 2)
        e.emit(.tick, 1)
        #expect(e.listenerCount(.tick) == 1)
        e.emit(.tick, 2)
        #expect(log.entries == ["once1", "on1", "on2"])
    }

    @Test func offRemovesExactlyTheListenerItsTokenNames() {
        let e = Emitter()
        let log = Log()
        let listener: (Int) -> Void = { log("same\($0)") }
        let first = e.addListener(.tick, listener)
        e.addListener(.tick, listener)
        e.on(.tick) { log("other\($0)") }
        #expect(e.off(first) === e)
        #expect(e.listenerCount(.tick) == 2)
        e.emit(.tick, 1)
        #expect(log.entries == ["same1", "other1"])
        // Removing twice, or removing a token of another event, changes nothing.
        e.off(first)
        #expect(e.listenerCount(.tick) == 2)
    }

    @Test func prependPutsListenersFirst() {
        let e = Emitter()
        let log = Log()
        e.on(.tick) { _ in log("on") }
        e.prependListener(.tick) { _ in log("prepended") }
        e.prependOnceListener(.tick) { _ in log("prependedOnce") }
        e.emit(.tick, 0)
        e.emit(.tick, 0)
        #expect(log.entries == ["prependedOnce", "prepended", "on", "prepended", "on"])
    }

    @Test func removeAllListenersForOneEventOrAll() {
        let e = Emitter()
        let log = Log()
        e.on(.tick) { _ in log("tick") }
        e.once(.tick) { _ in log("tick once") }
        e.on(.word) { log($0) }
        e.removeAllListeners(.tick)
        #expect(e.listenerCount(.tick) == 0)
        #expect(e.listenerCount(.word) == 1)
        #expect(e.emit(.tick, 0) == false)
        e.emit(.word, "w")
        e.removeAllListeners()
        #expect(e.emit(.word, "gone") == false)
        #expect(e.eventNames().isEmpty)
        #expect(log.entries == ["w"])
    }

    @Test func eventsWithTheSameNameButAnotherPayloadAreSeparate() {
        let e = Emitter()
        let log = Log()
        e.on(.tick) { log("int \($0)") }
        e.on(.tickText) { log("text \($0)") }
        e.emit(.tick, 7)
        e.emit(.tickText, "seven")
        #expect(log.entries == ["int 7", "text seven"])
        #expect(e.listenerCount(.tick) == 1 && e.listenerCount(.tickText) == 1)
    }

    @Test func eventNamesInTheOrderTheyFirstGotAListener() {
        let e = Emitter()
        e.on(.word) { _ in }
        e.on(.tick) { _ in }
        #expect(e.eventNames() == ["word", "tick"])
    }

    // Node copies the listener array when an emit starts: a listener added during the emit waits
    // for the next one.
    @Test func listenerAddedDuringEmitRunsFromTheNextEmit() {
        let e = Emitter()
        let log = Log()
        var added = false
        e.on(.tick) { n in
            log("first\(n)")
            if !added {
                added = true
                e.on(.tick) { log("late\($0)") }
                e.prependListener(.tick) { log("latePrepended\($0)") }
            }
        }
        e.emit(.tick, 1)
        #expect(log.entries == ["first1"])
        e.emit(.tick, 2)
        #expect(log.entries == ["first1", "latePrepended2", "first2", "late2"])
        // The listeners capture the emitter: drop them so the cycle does not leak (LeakSanitizer).
        e.removeAllListeners()
    }

    // Removing a listener during an emit does not take it out of the emit in progress.
    @Test func listenerRemovedDuringEmitStillRunsInThatEmit() {
        let e = Emitter()
        let log = Log()
        var second: ListenerToken?
        e.on(.tick) { n in
            log("first\(n)")
            if let token = second { e.off(token) }
        }
        second = e.addListener(.tick) { log("second\($0)") }
        e.emit(.tick, 1)
        e.emit(.tick, 2)
        #expect(log.entries == ["first1", "second1", "first2"])
        // The listeners capture the emitter: drop them so the cycle does not leak (LeakSanitizer).
        e.removeAllListeners()

        // removeAllListeners during an emit: the same.
        let f = Emitter()
        let log2 = Log()
        f.on(.tick) { _ in log2("a"); f.removeAllListeners() }
        f.on(.tick) { _ in log2("b") }
        f.emit(.tick, 0)
        f.emit(.tick, 0)
        #expect(log2.entries == ["a", "b"])
    }

    // A once-listener is already gone when it runs: it does not count itself, and an emit from
    // inside it does not run it again.
    @Test func onceListenerIsRemovedBeforeItRuns() {
        let e = Emitter()
        let log = Log()
        e.once(.tick) { n in
            log("once\(n) count=\(e.listenerCount(.tick))")
            if n == 1 { e.emit(.tick, 2) }
        }
        e.on(.tick) { log("on\($0)") }
        e.emit(.tick, 1)
        #expect(log.entries == ["once1 count=1", "on2", "on1"])
    }

    // Node removes each once-listener only when its turn comes. A listener that runs before it
    // still counts it, and an emit nested in that earlier listener is where it runs — once.
    // (node v20: on A, once B; A emits again from inside → A0 count=2, A1 count=2, B1.)
    @Test func onceListenerLaterInTheListRunsInANestedEmit() {
        let e = Emitter()
        let log = Log()
        e.on(.tick) { n in
            log("A\(n) count=\(e.listenerCount(.tick))")
            if n == 0 { e.emit(.tick, 1) }
        }
        e.once(.tick) { log("B\($0)") }
        e.emit(.tick, 0)
        #expect(log.entries == ["A0 count=2", "A1 count=2", "B1"])
        #expect(e.listenerCount(.tick) == 1)
        // The listeners capture the emitter: drop them so the cycle does not leak (LeakSanitizer).
        e.removeAllListeners()
    }

    // A once-listener taken out by an earlier listener of the same emit still runs in it, once
    // (node v20: `on(a)` that calls `removeAllListeners`, `once(b)` → a, b; next emit: nothing).
    @Test func onceListenerRemovedDuringEmitStillRunsOnce() {
        let e = Emitter()
        let log = Log()
        e.on(.tick) { _ in
            log("a")
            e.removeAllListeners(.tick)
        }
        e.once(.tick) { _ in log("b") }
        e.emit(.tick, 0)
        #expect(e.emit(.tick, 0) == false)
        #expect(log.entries == ["a", "b"])
    }
}
