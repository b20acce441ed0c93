/// A typed event name: Node's event string together with the emitter type that emits it and
/// the payload its listeners receive.
///
/// The built-in events are static members (`.data`, `.connect`, `.close`…), so listeners read as
/// in Node: `socket.on(.data) { chunk in … }`. Define your own with `Event<MyEmitter, Payload>("name")`.
public struct Event<Source: AnyObject, Payload> {
    /// The event's name, as in Node (`"data"`).
    public let name: String
    /// Creates an event key with a name.
    public init(_ name: String) { self.name = name }
}

/// An object that emits typed events: Node's `EventEmitter` API (`on`, `once`, `off`,
/// `prependListener`, `removeAllListeners`, `listenerCount`, `listeners`, `eventNames`, `emit`,
/// `setMaxListeners`, `getMaxListeners`, `defaultMaxListeners`), with Node's events about
/// listeners (`.newListener`, `.removeListener`) and `.errorMonitor`.
///
/// Listeners run in the order they were added, synchronously, on the loop's thread; a listener
/// added or removed while an event is being emitted takes effect from the next emit, as in Node.
public protocol EventEmitter: AnyObject {
    /// The storage behind the emitter methods; use those (`on`, `listeners(_:)`…) rather than
    /// the table itself.
    var listenerTable: ListenerTable { get }

    /// The table if it exists: emitting, counting and removing read this one, so they never
    /// create a table. The default answers ``listenerTable``; an emitter that creates its table
    /// with its first listener answers `nil` until then.
    var existingListenerTable: ListenerTable? { get }

    /// Told when more listeners for one event than ``getMaxListeners()`` were added (Node's
    /// `MaxListenersExceededWarning`), once per event name in the emitter's life. The default
    /// logs it at `warning` level through a swift-log `Logger` labelled `swift-net`; a `Socket`
    /// or `Server` logs it through its loop's `logger`. Implement it to send it elsewhere.
    func maxListenersExceeded(_ warning: MaxListenersExceededWarning)
}

extension EventEmitter {
    /// The default: the table always exists.
    public var existingListenerTable: ListenerTable? { listenerTable }
}

extension EventEmitter {
    /// Adds `listener` for `event` (Node's `on`/`addListener`). Returns the emitter.
    @discardableResult
    public func on<P>(_ event: Event<Self, P>, _ listener: @escaping (P) -> Void) -> Self {
        add(event.name, ListenerBox(listener, once: false), prepend: false)
        return self
    }

    /// Adds `listener` for the next `event` only. Returns the emitter.
    @discardableResult
    public func once<P>(_ event: Event<Self, P>, _ listener: @escaping (P) -> Void) -> Self {
        add(event.name, ListenerBox(listener, once: true), prepend: false)
        return self
    }

    /// Adds `listener` before the others for `event`. Returns the emitter.
    @discardableResult
    public func prependListener<P>(_ event: Event<Self, P>, _ listener: @escaping (P) -> Void) -> Self {
        add(event.name, ListenerBox(listener, once: false), prepend: true)
        return self
    }

    /// Adds `listener` before the others, for the next `event` only. Returns the emitter.
    @discardableResult
    public func prependOnceListener<P>(_ event: Event<Self, P>, _ listener: @escaping (P) -> Void) -> Self {
        add(event.name, ListenerBox(listener, once: true), prepend: true)
        return self
    }

    /// Adds a listener and returns a token that removes exactly it with `off(_:)`. Swift closures
    /// have no identity, so this stands in for Node's `off(event, fn)`.
    @discardableResult
    public func addListener<P>(_ event: Event<Self, P>, _ listener: @escaping (P) -> Void) -> ListenerToken {
        let box = ListenerBox(listener, once: false)
        add(event.name, box, prepend: false)
        return ListenerToken(name: event.name, type: ObjectIdentifier(P.self), box: box)
    }

    /// Removes the listener that `token` names (Node's `off`/`removeListener`). Returns the emitter.
    @discardableResult
    public func off(_ token: ListenerToken) -> Self {
        existingListenerTable?.remove(token.name, token.type, token.box)
        return self
    }

    /// Removes every listener for `event` (Node's `removeAllListeners(event)`). Returns the emitter.
    @discardableResult
    public func removeAllListeners<P>(_ event: Event<Self, P>) -> Self {
        existingListenerTable?.removeAll(event.name, ObjectIdentifier(P.self))
        return self
    }

    /// Removes every listener for every event (the `'removeListener'` listeners last, each
    /// removal heard by those still there, as in Node). Returns the emitter.
    @discardableResult
    public func removeAllListeners() -> Self {
        existingListenerTable?.removeAll()
        return self
    }

    /// Drops every listener, telling no `'removeListener'` listener: how a closed socket or
    /// server lets go of what its listeners capture (in Node they stay, so nothing is removed).
    func dropAllListeners() {
        existingListenerTable?.dropAll()
    }

    /// Adds `box` to the table, then passes on the warning if it took the event past the limit.
    private func add<P>(_ name: String, _ box: ListenerBox<P>, prepend: Bool) {
        guard let exceeded = listenerTable.add(name, box, prepend: prepend) else { return }
        maxListenersExceeded(MaxListenersExceededWarning(
            emitter: String(describing: Self.self), event: name, count: exceeded.count, limit: exceeded.limit))
    }

    /// The number of listeners for `event`.
    public func listenerCount<P>(_ event: Event<Self, P>) -> Int {
        existingListenerTable?.count(event.name, ObjectIdentifier(P.self)) ?? 0
    }

    /// The listeners for `event`, in the order they run (Node's `listeners(event)`; once-listeners
    /// are included, unwrapped, as Node's are). The array is a copy: changing the emitter's
    /// listeners afterwards does not change it.
    public func listeners<P>(_ event: Event<Self, P>) -> [(P) -> Void] {
        existingListenerTable?.listeners(event.name, P.self) ?? []
    }

    /// The names of the events that have listeners, each once, in the order they first gained one
    /// (Node's `eventNames()`). Events that share a name (`.data` and `.text` are both `"data"`)
    /// appear once.
    public func eventNames() -> [String] { existingListenerTable?.names ?? [] }

    /// Calls every listener for `event` with `payload`, in order. Returns whether there were any.
    /// For `'error'`, the `.errorMonitor` listeners of the same payload type run first and do
    /// not count: with only monitors, the error is still unhandled and this returns false.
    @discardableResult
    public func emit<P>(_ event: Event<Self, P>, _ payload: P) -> Bool {
        guard let table = existingListenerTable else { return false }
        if table.hasErrorMonitors { table.emitErrorMonitors(event.name, payload) }
        return table.emit(event.name, payload)
    }
}

extension EventEmitter {
    /// Calls every listener of a payload-less event. Returns whether there were any.
    @discardableResult
    public func emit(_ event: Event<Self, Void>) -> Bool {
        emit(event, ())
    }
}

/// Identifies one added listener, for `off(_:)`.
public struct ListenerToken {
    let name: String
    let type: ObjectIdentifier
    let box: AnyObject
}

/// One listener: the closure and whether it runs once.
class AnyListenerBox {
    /// Whether the listener runs once.
    let once: Bool
    // Unchecked exclusivity (the attribute below) marks the state the data path touches on every chunk: it is
    // loop-confined and never accessed across a call that can re-enter (see "Threads and unsafe
    // code" in Sources/NetCore/README.md); the dynamic checks would cost a quarter of an echo.
    /// Set when a once-listener is taken out to run, so an emit already holding it skips it.
    @exclusivity(unchecked) var fired = false
    init(once: Bool) { self.once = once }
}

/// A listener with its payload type.
final class ListenerBox<P>: AnyListenerBox {
    let call: (P) -> Void
    init(_ call: @escaping (P) -> Void, once: Bool) {
        self.call = call
        super.init(once: once)
    }
}
