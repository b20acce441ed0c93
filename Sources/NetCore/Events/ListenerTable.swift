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

    /// Whether an entry is for Node's `'newListener'`, `'removeListener'` or `errorMonitor`, so
    /// adding, removing and emitting `'error'` test a flag instead of looking the name up. Kept
    /// with ``hasDataListeners``.
    @exclusivity(unchecked) private(set) var hasNewListenerListeners = false
    @exclusivity(unchecked) private(set) var hasRemoveListenerListeners = false
    @exclusivity(unchecked) private(set) var hasErrorMonitors = false

    /// An entry came or went: says again whether a `'data'` one for buffers is among them, and
    /// whether listeners for the events about listeners are.
    private func entriesChanged() {
        let buffers = ObjectIdentifier(Buffer.self)
        let strings = ObjectIdentifier(String.self)
        var data = false, added = false, removed = false, monitors = false
        var k = 0
        while k < entries.count {
            let entry = entries[k]
            k += 1
            if entry.name == "data" && entry.type == buffers { data = true }
            if entry.name == ListenerEventName.errorMonitor { monitors = true }
            guard entry.type == strings else { continue }
            if entry.name == ListenerEventName.newListener { added = true }
            if entry.name == ListenerEventName.removeListener { removed = true }
        }
        hasDataListeners = data
        hasNewListenerListeners = added
        hasRemoveListenerListeners = removed
        hasErrorMonitors = monitors
    }

    /// The limit `setMaxListeners` set; `nil` follows the process-wide default.
    var maxListeners: Int?
    /// The event names already warned about (Node's `MaxListenersExceededWarning`): each is
    /// warned about once in the emitter's life.
    private var warnedNames: [String] = []

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

    /// Adds `box`, after telling `'newListener'` listeners (Node tells them first, so one being
    /// added does not hear of itself). Returns the count and the limit when this listener took
    /// the listeners named `name` past the limit for the first time, for the emitter to warn.
    @discardableResult
    func add<P>(_ name: String, _ box: ListenerBox<P>, prepend: Bool) -> (count: Int, limit: Int)? {
        if hasNewListenerListeners { _ = emit(ListenerEventName.newListener, name) }
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
        return limitExceeded(name)
    }

    /// Node's leak check, made after every add: listeners named `name` (of any payload type, as
    /// `.data` and `.text` are both Node's `'data'` listeners) beyond a limit above 0, not yet
    /// warned about.
    private func limitExceeded(_ name: String) -> (count: Int, limit: Int)? {
        let limit = maxListeners ?? ListenerLimits.defaultMaxListeners.load(ordering: .relaxed)
        guard limit > 0 else { return nil }
        var count = 0
        for entry in entries where entry.name == name { count += entry.boxes.count }
        guard count > limit, !warnedNames.contains(name) else { return nil }
        warnedNames.append(name)
        return (count, limit)
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
        // Node's 'removeListener', once the listener is gone: the last 'removeListener' listener
        // removed hears nothing, since none is left.
        if hasRemoveListenerListeners { _ = emit(ListenerEventName.removeListener, name) }
    }

    func removeAll(_ name: String, _ type: ObjectIdentifier) {
        guard let i = index(name, type) else { return }
        if hasRemoveListenerListeners {
            // As Node does: one by one, the last added first, each heard by 'removeListener'.
            let boxes = entries[i].boxes
            var k = boxes.count
            while k > 0 {
                k -= 1
                remove(name, type, boxes[k])
            }
            return
        }
        pinIfEmitting()
        entries.remove(at: i)
        entriesChanged()
    }

    func removeAll() {
        if hasRemoveListenerListeners {
            // As Node does: event by event in the order they first gained a listener, each as
            // `removeAll(name, type)`, and the 'removeListener' listeners last.
            let strings = ObjectIdentifier(String.self)
            let keys = entries.map { (name: $0.name, type: $0.type) }
            for key in keys where !(key.type == strings && key.name == ListenerEventName.removeListener) {
                removeAll(key.name, key.type)
            }
            removeAll(ListenerEventName.removeListener, strings)
            // What their listeners added meanwhile goes too, untold, as in Node.
            if entries.isEmpty { return }
        }
        dropAll()
    }

    /// Drops every listener without telling `'removeListener'`: a socket or server lets its
    /// listeners go after `'close'` to free what they capture, which in Node (where they stay)
    /// is no removal at all.
    func dropAll() {
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

    /// Node's `errorMonitor`: when `name` is `'error'`, calls the monitors for its payload type.
    /// Called only when ``hasErrorMonitors`` is set; the `'error'` listeners run afterwards, and
    /// what the emit returns is theirs alone.
    func emitErrorMonitors<P>(_ name: String, _ payload: P) {
        if name == "error" { _ = emitListed(ListenerEventName.errorMonitor, payload) }
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

/// The names of the events about listeners, as Node spells them (`errorMonitor` is a symbol in
/// Node, and this is how Node prints it: `String(errorMonitor)`).
enum ListenerEventName {
    static let newListener = "newListener"
    static let removeListener = "removeListener"
    static let errorMonitor = "Symbol(events.errorMonitor)"
}
