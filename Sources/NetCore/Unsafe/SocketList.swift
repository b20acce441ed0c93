/// A few sockets, the first one inline (most sockets pipe to, or from, exactly one other, or
/// themselves, and then the list costs no allocation). `strong` lists hold their sockets; the
/// others only point at them (`unowned(unsafe)`, the first one as an unretained `Unmanaged`), and
/// rely on the pipe links being removed from both sides before a socket goes (`Socket+Pipe.swift`:
/// both lists are unlinked together when either socket closes, goes away or unpipes), so a
/// pointer is never followed after its socket is gone. Each entry carries a flag (for
/// destinations: whether to end them). Reference counting is left to Swift: copying the list
/// copies strong references, never raw ones.
struct SocketList {
    private struct Entry {
        /// The reference that keeps the socket alive, in a strong list.
        let holder: Socket?
        unowned(unsafe) let socket: Socket
        let flag: Bool
    }

    private let strong: Bool
    // The first entry, inline and field by field, so the data path reads it without copying.
    // The pointer is an `Unmanaged` rather than an `unowned(unsafe)` reference: testing or
    // reading that one makes a strong copy (a retain and a release) on every chunk.
    private var firstHolder: Socket?
    private var firstRef: Unmanaged<Socket>?
    private var firstFlag = false
    private var rest: [Entry] = []

    /// A list that holds its sockets (`strong`) or only points at them.
    init(strong: Bool) { self.strong = strong }

    var isEmpty: Bool { firstRef == nil }

    /// The list's socket when it holds exactly one (the usual pipe), unretained, for the data
    /// path; nil when it holds none or several, or is not a strong list. Reading it copies no
    /// reference, where `forEach` copies the list (its holder and the array of the others) and
    /// the socket: four retains and releases per chunk, 1,300 → 1,098 instructions per echoed
    /// round trip without them (`make bench-instr`, one TCP connection).
    ///
    /// Safety, for the one caller (`Socket.deliverToPipes`, which borrows it with
    /// `_withUnsafeGuaranteedRef` for one `write`): the strong list holds the socket for as long
    /// as it stays linked, and only `unpipe` and `'close'` remove links. `write` runs neither:
    /// it calls out to no user code synchronously (its callback, `'error'` and `'drain'` wait
    /// for a tick, and a destroy only starts closing the handle, whose `'close'` comes later).
    /// (The borrow is written at the call site: behind a helper taking the closure, the
    /// `write` was no longer inlined, 35 more instructions per chunk.)
    @inline(__always)
    var onlySocket: Unmanaged<Socket>? {
        guard strong, rest.isEmpty else { return nil }
        return firstRef
    }

    mutating func add(_ socket: Socket, flag: Bool) {
        if firstRef == nil {
            setFirst(Entry(holder: strong ? socket : nil, socket: socket, flag: flag))
        } else {
            rest.append(Entry(holder: strong ? socket : nil, socket: socket, flag: flag))
        }
    }

    private mutating func setFirst(_ entry: Entry?) {
        firstHolder = entry?.holder
        firstRef = entry.map { Unmanaged.passUnretained($0.socket) }
        firstFlag = entry?.flag ?? false
    }

    /// Calls `body` with each socket and its flag.
    @inline(__always)
    func forEach(_ body: (Socket, Bool) -> Void) {
        guard let first = firstRef else { return }
        body(first.takeUnretainedValue(), firstFlag)
        for e in rest { body(e.socket, e.flag) }
    }

    mutating func removeAll(where shouldRemove: (Socket) -> Bool) {
        guard let head = firstRef?.takeUnretainedValue() else { return }
        rest.removeAll { shouldRemove($0.socket) }
        if shouldRemove(head) { setFirst(rest.isEmpty ? nil : rest.removeFirst()) }
    }

    mutating func removeAll() {
        setFirst(nil)
        rest = []
    }
}
