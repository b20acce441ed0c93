import Testing
@testable import NetCore
import Net

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

    /// The table says whether it holds a `'data'` listener (the data path asks it per chunk): it
    /// must follow every way one comes and goes.
    @Test func theTableKnowsWhetherADataListenerIsThere() {
        let table = ListenerTable()
        func add<P>(_ name: String, _ type: P.Type, once: Bool = false) -> AnyObject {
            let box = ListenerBox<P>({ _ in }, once: once)
            table.add(name, box, prepend: false)
            return box
        }
        let close = add("close", Bool.self)
        #expect(!table.hasDataListeners)
        let data = add("data", Buffer.self)
        let text = add("data", String.self)
        #expect(table.hasDataListeners)
        table.remove("data", ObjectIdentifier(Buffer.self), data)
        #expect(!table.hasDataListeners, "a text listener takes strings: the buffers' emit has nobody to call")
        table.remove("data", ObjectIdentifier(String.self), text)
        #expect(!table.hasDataListeners)
        _ = add("data", Buffer.self, once: true)
        #expect(table.hasDataListeners)
        #expect(table.emit("data", Buffer([1])))
        #expect(!table.hasDataListeners, "the once-listener left before it ran")
        _ = add("data", Buffer.self)
        table.removeAll("data", ObjectIdentifier(Buffer.self))
        #expect(!table.hasDataListeners)
        _ = add("data", Buffer.self)
        table.removeAll()
        #expect(!table.hasDataListeners)
        withExtendedLifetime(close) {}
    }

    /// Over a real connection, on a socket whose table already held other listeners: a
    /// once-listener hears the first chunk only, and a listener added later hears the rest.
    @Test func dataListenersComeAndGoOnASocketWithOtherListeners() {
        var first: [String] = []
        var later: [String] = []
        withLoop { loop in
            let server = Net.createServer(loop: loop) { socket in
                socket.on(.close) { _ in }
                socket.on(.error) { _ in }
                socket.once(.data) { chunk in
                    first.append(chunk.toString())
                    // The client sends its second chunk only once it hears this, so the chunk
                    // arrives after the listener below is there.
                    socket.write("next")
                    socket.on(.data) { later.append($0.toString()) }
                }
                socket.on(.end) { socket.end() }
            }
            listenLocal(server) { port in
                let client = dial(port, loop: loop)
                client.write("one")
                client.on(.data) { _ in client.end("two") }
                client.on(.close) { _ in server.close() }
            }
        }
        #expect(first == ["one"])
        #expect(later.joined() == "two")
    }
}
