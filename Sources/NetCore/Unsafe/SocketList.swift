/// A few sockets, the first one inline (most sockets pipe to, or from, exactly one other, or
/// themselves, and then the list costs no allocation). `Holding` lists hold their sockets; the
/// `Pointing` ones only point at them (`unowned(unsafe)`, the first one as an unretained `Unmanaged`), and
/// rely on the pipe links being removed from both sides before a socket goes (`Socket+Pipe.swift`:
/// both lists are unlinked together when either socket closes, goes away or unpipes), so a
/// pointer is never followed after its socket is gone. A holding list's entries carry a flag
/// (whether to end the destination). Reference counting is left to Swift: copying the list
/// copies strong references, never raw ones.
struct SocketList<Hold: SocketListHold> {
    private struct Entry {
        /// What keeps the socket alive in a holding list, and its flag.
        let hold: Hold
        unowned(unsafe) let socket: Socket
    }

    // The first entry, inline and field by field, so the data path reads it without copying.
    // The pointer is an `Unmanaged` rather than an `unowned(unsafe)` reference: testing or
    // reading that one makes a strong copy (a retain and a release) on every chunk. What the
    // list keeps beside it comes last, so a pointing list (which keeps nothing) is two words.
    private var firstRef: Unmanaged<Socket>?
    private var rest: [Entry] = []
    private var firstHold = Hold(nil, flag: false)

    /// An empty list.
    init() {}

    var isEmpty: Bool { firstRef == nil }

    /// The list's socket when it holds exactly one (the usual pipe), unretained, for the data
    /// path; nil when it holds none or several, or does not hold its sockets. Reading it copies no
    /// reference, where `forEach` copies the list (its holder and the array of the others) and
    /// the socket: four retains and releases per chunk, 1,300 → 1,098 instructions per echoed
    /// round trip without them (`make bench-instr`, one TCP connection).
    ///
    /// Safety, for the one caller (`Socket.deliverToPipes`, which borrows it with
    /// `_withUnsafeGuaranteedRef` for one `write`): the holding list holds the socket for as long
    /// as it stays linked, and only `unpipe` (the user's, or a destination's on its `'finish'`,
    /// `'close'` or `'error'`) and `'close'` remove links. `write` runs none of them: it calls
    /// out to no user code synchronously (its callback, `'error'` and `'drain'` wait for a tick,
    /// and a destroy only starts closing the handle, whose `'close'` comes later).
    /// (The borrow is written at the call site: behind a helper taking the closure, the
    /// `write` was no longer inlined, 35 more instructions per chunk.)
    @inline(__always)
    var onlySocket: Unmanaged<Socket>? {
        guard Hold.holds, rest.isEmpty else { return nil }
        return firstRef
    }

    mutating func add(_ socket: Socket, flag: Bool) {
        if firstRef == nil {
            setFirst(Entry(hold: Hold(socket, flag: flag), socket: socket))
        } else {
            rest.append(Entry(hold: Hold(socket, flag: flag), socket: socket))
        }
    }

    private mutating func setFirst(_ entry: Entry?) {
        firstHold = entry?.hold ?? Hold(nil, flag: false)
        firstRef = entry.map { Unmanaged.passUnretained($0.socket) }
    }

    /// Calls `body` with each socket and its flag.
    @inline(__always)
    func forEach(_ body: (Socket, Bool) -> Void) {
        guard let first = firstRef else { return }
        body(first.takeUnretainedValue(), firstHold.flag)
        for e in rest { body(e.socket, e.hold.flag) }
    }

    mutating func removeAll(where shouldRemove: (Socket) -> Bool) {
        guard let head = firstRef?.takeUnretainedValue() else { return }
        rest.removeAll { shouldRemove($0.socket) }
        if shouldRemove(head) { setFirst(rest.isEmpty ? nil : rest.removeFirst()) }
    }

    /// Removes the first socket that matches; false when none does.
    mutating func removeFirst(where matches: (Socket) -> Bool) -> Bool {
        guard let head = firstRef?.takeUnretainedValue() else { return false }
        if matches(head) {
            setFirst(rest.isEmpty ? nil : rest.removeFirst())
            return true
        }
        guard let i = rest.firstIndex(where: { matches($0.socket) }) else { return false }
        rest.remove(at: i)
        return true
    }

    mutating func removeAll() {
        setFirst(nil)
        rest = []
    }
}

/// What a `SocketList` keeps of each socket beside its pointer.
protocol SocketListHold {
    /// What to keep of `socket` (nil: an empty slot) and its flag.
    init(_ socket: Socket?, flag: Bool)
    /// The flag the socket was added with.
    var flag: Bool { get }
    /// Whether the list keeps its sockets alive.
    static var holds: Bool { get }
}

/// Keeps the socket alive, with a flag: pipe destinations (the flag: whether to end them).
struct Holding: SocketListHold {
    let socket: Socket?
    let flag: Bool
    init(_ socket: Socket?, flag: Bool) {
        self.socket = socket
        self.flag = flag
    }
    static var holds: Bool { true }
}

/// Keeps nothing: pipe sources, which only point at the sockets piping in (no flag either).
struct Pointing: SocketListHold {
    init(_ socket: Socket?, flag: Bool) {}
    var flag: Bool { false }
    static var holds: Bool { false }
}
