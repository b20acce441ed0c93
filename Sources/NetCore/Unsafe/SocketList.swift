/// A few sockets, the first one inline (most sockets pipe to, or from, exactly one other, or
/// themselves, and then the list costs no allocation). `strong` lists hold their sockets; the
/// others only point at them (`unowned(unsafe)`), and rely on the pipe links being removed from
/// both sides before a socket goes (`Socket+Pipe.swift`: both lists are unlinked together when
/// either socket closes, goes away or unpipes), so a pointer is never followed after its socket
/// is gone. Each entry carries a flag (for destinations: whether to end them). Reference counting
/// is left to Swift: copying the list copies strong references, never raw ones.
struct SocketList {
    private struct Entry {
        /// The reference that keeps the socket alive, in a strong list.
        let holder: Socket?
        unowned(unsafe) let socket: Socket
        let flag: Bool
    }

    private let strong: Bool
    // The first entry, inline and field by field, so the data path reads it without copying.
    private var firstHolder: Socket?
    private unowned(unsafe) var firstSocket: Socket?
    private var firstFlag = false
    private var rest: [Entry] = []

    /// A list that holds its sockets (`strong`) or only points at them.
    init(strong: Bool) { self.strong = strong }

    var isEmpty: Bool { firstSocket == nil }

    mutating func add(_ socket: Socket, flag: Bool) {
        if firstSocket == nil {
            setFirst(Entry(holder: strong ? socket : nil, socket: socket, flag: flag))
        } else {
            rest.append(Entry(holder: strong ? socket : nil, socket: socket, flag: flag))
        }
    }

    private mutating func setFirst(_ entry: Entry?) {
        firstHolder = entry?.holder
        firstSocket = entry?.socket
        firstFlag = entry?.flag ?? false
    }

    /// Calls `body` with each socket and its flag.
    @inline(__always)
    func forEach(_ body: (Socket, Bool) -> Void) {
        guard let first = firstSocket else { return }
        body(first, firstFlag)
        for e in rest { body(e.socket, e.flag) }
    }

    mutating func removeAll(where shouldRemove: (Socket) -> Bool) {
        guard let head = firstSocket else { return }
        rest.removeAll { shouldRemove($0.socket) }
        if shouldRemove(head) { setFirst(rest.isEmpty ? nil : rest.removeFirst()) }
    }

    mutating func removeAll() {
        setFirst(nil)
        rest = []
    }
}
