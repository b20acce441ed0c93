import Testing
@testable import NetCore

/// Node's `listeners(event)` and `eventNames()` on a socket.
@Suite struct EventEmitterListenersTests {
    // node: test/parallel/test-event-emitter-listeners.js (listeners returns a copy, in order)
    @Test func listenersReturnsTheListenersInOrderAsACopy() {
        withLoop { loop in
            let socket = Socket(loop: loop)
            var heard: [String] = []
            socket.on(.end) { heard.append("first") }
            socket.once(.end) { heard.append("once") }
            socket.prependListener(.end) { heard.append("prepended") }
            let listeners = socket.listeners(.end)
            #expect(listeners.count == 3)
            for listener in listeners { listener(()) }
            #expect(heard == ["prepended", "first", "once"])
            socket.removeAllListeners(.end)
            #expect(listeners.count == 3, "the returned array changed with the emitter")
            #expect(socket.listeners(.end).isEmpty)
            #expect(socket.listeners(.close).isEmpty)
        }
    }

    @Test func eventNamesListsANameOnceEvenWhenTextAndDataBothListen() {
        withLoop { loop in
            let socket = Socket(loop: loop)
            socket.on(.data) { _ in }
            socket.on(.end) { }
            socket.on(.text) { _ in }
            #expect(socket.eventNames() == ["data", "end"])
            #expect(socket.listeners(.data).count == 1)
            #expect(socket.listeners(.text).count == 1)
            socket.removeAllListeners(.data)
            #expect(socket.eventNames() == ["end", "data"])
        }
    }
}
