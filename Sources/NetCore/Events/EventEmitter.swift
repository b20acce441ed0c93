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
/// `prependListener`, `removeAllListeners`, `listenerCount`, `listeners`, `eventNames`, `emit`).
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
}

extension EventEmitter {
    /// The default: the table always exists.
    public var existingListenerTable: ListenerTable? { listenerTable }
}

extension EventEmitter {
    /// Adds `listener` for `event` (Node's `on`/`addListener`). Returns the emitter.
    @discardableResult
    public func on<P>(_ event: Event<Self, P>, _ listener: @escaping (P) -> Void) -> Self {
        listenerTable.add(event.name, ListenerBox(listener, once: false), prepend: false)
        return self
    }

    /// Adds `listener` for the next `event` only. Returns the emitter.
    @discardableResult
    public func once<P>(_ event: Event<Self, P>, _ listener: @escaping (P) -> Void) -> Self {
        listenerTable.add(event.name, ListenerBox(listener, once: true), prepend: false)
        return self
    }

    /// Adds `listener` before the others for `event`. Returns the emitter.
    @discardableResult
    public func prependListener<P>(_ event: Event<Self, P>, _ listener: @escaping (P) -> Void) -> Self {
        listenerTable.add(event.name, ListenerBox(listener, once: false), prepend: true)
        return self
    }

    /// Adds `listener` before the others, for the next `event` only. Returns the emitter.
    @discardableResult
    public func prependOnceListener<P>(_ event: Event<Self, P>, _ listener: @escaping (P) -> Void) -> Self {
        listenerTable.add(event.name, ListenerBox(listener, once: true), prepend: true)
        return self
    }

    /// Adds a listener and returns a token that removes exactly it with `off(_:)`. Swift closures
    /// have no identity, so this stands in for Node's `off(event, fn)`.
    @discardableResult
    public func addListener<P>(_ event: Event<Self, P>, _ listener: @escaping (P) -> Void) -> ListenerToken {
        let box = ListenerBox(listener, once: false)
        listenerTable.add(event.name, box, prepend: false)
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

    /// Removes every listener for every event. Returns the emitter.
    @discardableResult
    public func removeAllListeners() -> Self {
        existingListenerTable?.removeAll()
        return self
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
    @discardableResult
    public func emit<P>(_ event: Event<Self, P>, _ payload: P) -> Bool {
        existingListenerTable?.emit(event.name, payload) ?? false
    }
}

extension EventEmitter {
    /// Calls every listener of a payload-less event. Returns whether there were any.
    @discardableResult
    public func emit(_ event: Event<Self, Void>) -> Bool {
        existingListenerTable?.emit(event.name, ()) ?? false
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

/// The listeners of one emitter, grouped by event name in the order the names first appeared.
///
/// Kept as a short array scanned linearly: an emitter has a handful of event names, and small
/// strings compare without hashing, so `emit` on the data path costs a few comparisons.
public final class ListenerTable {
    private struct Entry {
        let name: String
        let type: ObjectIdentifier
        var boxes: ContiguousArray<AnyObject> { didSet { refreshSolo() } }
        var onceCount: Int { didSet { refreshSolo() } }
        /// The one listener, unretained, when the event has exactly one and it is not a
        /// once-listener (the usual `'data'` listener): `emit` calls it without copying the array.
        /// Valid while `boxes` holds it, since every change of `boxes` sets it again.
        private(set) var solo: Unmanaged<AnyObject>?

        init(name: String, type: ObjectIdentifier, boxes: ContiguousArray<AnyObject>, onceCount: Int) {
            self.name = name
            self.type = type
            self.boxes = boxes
            self.onceCount = onceCount
            refreshSolo()
        }

        private mutating func refreshSolo() {
            solo = boxes.count == 1 && onceCount == 0 ? Unmanaged.passUnretained(boxes[0]) : nil
        }
    }
    @exclusivity(unchecked) private var entries: ContiguousArray<Entry> = []
    /// Whether an entry is for `'data'` with `Buffer`s, so the data path of a socket whose table
    /// holds only other listeners (`'error'`, `'close'`, `'timeout'`, `.text`) skips the lookup
    /// per chunk (about 35 instructions per read, `make bench-instr`). Kept by every change that
    /// adds or drops an entry.
    @exclusivity(unchecked) private(set) var hasDataListeners = false

    /// An entry came or went: says again whether a `'data'` one for buffers is among them.
    private func entriesChanged() {
        let buffers = ObjectIdentifier(Buffer.self)
        hasDataListeners = entries.contains { $0.name == "data" && $0.type == buffers }
    }

    /// How many emits of this table are running (a listener may emit again).
    @exclusivity(unchecked) private var emitting = 0
    /// The listener lists as running emits saw them, kept once a listener changed them, until
    /// the outermost emit returns: an emit calling a `solo` listener holds no copy of its own.
    @exclusivity(unchecked) private var pinned: [ContiguousArray<Entry>] = []

    /// Called before every change of `entries`: while an emit runs, the lists it may still be
    /// calling from stay alive (the change then copies instead of editing them in place).
    @inline(__always)
    private func pinIfEmitting() {
        if emitting > 0 { pinned.append(entries) }
    }

    /// The outermost emit returned: let the pinned lists go. They are taken out first, so that
    /// whatever their release runs (a captured object's deinit) finds the table consistent.
    @inline(never)
    private func unpin() {
        let old = pinned
        pinned = []
        withExtendedLifetime(old) {}
    }

    /// Told the name of each event that gains a listener (Node's `'newListener'`), so an emitter
    /// can react, as a socket starts flowing when a `'data'` listener arrives. The emitter owns
    /// the table, so it outlives every call.
    unowned(unsafe) var observer: (any ListenerObserver)?

    /// Creates an empty table.
    public init() {}

    /// Entries match on name and payload type, so a custom event that reuses a built-in name with
    /// another payload is a separate event rather than a type confusion.
    @inline(__always)
    private func index(_ name: String, _ type: ObjectIdentifier) -> Int? {
        for i in entries.indices where entries[i].type == type && entries[i].name == name { return i }
        return nil
    }

    func add<P>(_ name: String, _ box: ListenerBox<P>, prepend: Bool) {
        pinIfEmitting()
        let type = ObjectIdentifier(P.self)
        let once = box.once
        if let i = index(name, type) {
            if prepend { entries[i].boxes.insert(box, at: 0) } else { entries[i].boxes.append(box) }
            if once { entries[i].onceCount += 1 }
        } else {
            entries.append(Entry(name: name, type: type, boxes: [box], onceCount: once ? 1 : 0))
            entriesChanged()
        }
        observer?.listenerAdded(name: name, type: type)
    }

    func remove(_ name: String, _ type: ObjectIdentifier, _ box: AnyObject) {
        guard let i = index(name, type), let j = entries[i].boxes.firstIndex(where: { $0 === box }) else { return }
        pinIfEmitting()
        if unsafeDowncast(box, to: AnyListenerBox.self).once { entries[i].onceCount -= 1 }
        entries[i].boxes.remove(at: j)
        if entries[i].boxes.isEmpty {
            entries.remove(at: i)
            entriesChanged()
        }
    }

    func removeAll(_ name: String, _ type: ObjectIdentifier) {
        if let i = index(name, type) {
            pinIfEmitting()
            entries.remove(at: i)
            entriesChanged()
        }
    }

    func removeAll() {
        pinIfEmitting()
        entries.removeAll()
        entriesChanged()
    }

    func count(_ name: String, _ type: ObjectIdentifier) -> Int {
        index(name, type).map { entries[$0].boxes.count } ?? 0
    }

    var names: [String] {
        var names: [String] = []
        for entry in entries where !names.contains(entry.name) { names.append(entry.name) }
        return names
    }

    func listeners<P>(_ name: String, _ type: P.Type) -> [(P) -> Void] {
        guard let i = index(name, ObjectIdentifier(type)) else { return [] }
        return entries[i].boxes.map { unsafeDowncast($0, to: ListenerBox<P>.self).call }
    }

    /// Calls the listeners for `name` with `payload`; false when there are none. Inlined down to
    /// the empty check, so an emitter nobody listens to (a piped socket's `'data'`) pays no
    /// call per event.
    @inline(__always)
    func emit<P>(_ name: String, _ payload: P) -> Bool {
        if entries.isEmpty { return false }
        return emitListed(name, payload)
    }

    private func emitListed<P>(_ name: String, _ payload: P) -> Bool {
        let type = ObjectIdentifier(P.self)
        guard let i = index(name, type) else { return false }
        if let solo = entries[i].solo {
            // One listener: called without copying the array (a retain and release per event,
            // measured with `make bench-instr`). Sound because `pinIfEmitting` keeps the list
            // that holds it alive if the listener (or one it calls) changes the table.
            emitting += 1
            solo._withUnsafeGuaranteedRef { unsafeDowncast($0, to: ListenerBox<P>.self).call(payload) }
            emitting -= 1
            if emitting == 0 && !pinned.isEmpty { unpin() }
            return true
        }
        let boxes = entries[i].boxes
        // Index loops: a for-in over the array goes through its generic iterator, which in an
        // unoptimised build allocates a coroutine frame per element, on every data event.
        var k = 0
        if entries[i].onceCount == 0 {
            while k < boxes.count {
                // Borrowed, not retained: `boxes`, this emit's own copy of the array, holds every
                // box until the loop ends, and a box holds its closure (a `let`), so neither
                // needs a retain for the call, even if the listener removes itself (one retain
                // and release per event, measured with `make bench-instr`).
                Unmanaged.passUnretained(boxes[k])._withUnsafeGuaranteedRef {
                    unsafeDowncast($0, to: ListenerBox<P>.self).call(payload)
                }
                k += 1
            }
            return true
        }
        while k < boxes.count {
            let box = boxes[k]
            k += 1
            let listener = unsafeDowncast(box, to: ListenerBox<P>.self)
            if listener.once {
                // A once-listener leaves just before it runs, as in Node: listeners before it
                // still count it, and an emit nested in one of them may have run it already.
                if listener.fired { continue }
                listener.fired = true
                remove(name, type, box)
            }
            listener.call(payload)
        }
        return true
    }
}

/// Hears about listeners added to a `ListenerTable`.
protocol ListenerObserver: AnyObject {
    /// A listener for `name` with payload type `type` was added.
    func listenerAdded(name: String, type: ObjectIdentifier)
}
