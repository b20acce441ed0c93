/// `pipe`/`unpipe`: forward everything read to other sockets, with backpressure.
///
/// Built into the socket rather than made of listeners, so an echo server's `socket.pipe(socket)`
/// costs no allocation per connection and no closure call per chunk. A source holds its
/// destinations strongly; a destination knows its sources without holding them. The two lists
/// always mirror each other: a link is removed from both sides when either socket closes, goes
/// away, or unpipes, so a destination never reaches a source that is gone.
extension Socket {
    /// Writes every chunk this socket reads to `destination`, pausing while the destination's
    /// queue is over its high-water mark and resuming on its `'drain'`; when this socket ends,
    /// `destination.end()` is called unless `end` is false (Node's `readable.pipe(dest, { end })`).
    /// Starts the flow of data. Returns the destination.
    @discardableResult
    public func pipe(_ destination: Socket, end: Bool = true) -> Socket {
        pipeTargets.add(destination, flag: end)
        destination.pipeSources.add(self, flag: false)
        if destination.writableNeedDrain { pause() } else if state.flow != .flowing { resume() }
        return destination
    }

    /// Stops piping to `destination`, or to every destination when nil (Node's `unpipe`). The
    /// source is paused if nothing else consumes its data. Returns the socket.
    @discardableResult
    public func unpipe(_ destination: Socket? = nil) -> Socket {
        let removed = unlinkTargets { destination == nil || $0 === destination }
        if removed && pipeTargets.isEmpty && listenerCount(.data) == 0 && listenerCount(.text) == 0 { pause() }
        return self
    }

    /// Writes a chunk to every pipe destination; pauses when one of them is full.
    @inline(__always)
    func deliverToPipes(_ chunk: Buffer) {
        var full = false
        pipeTargets.forEach { target, _ in
            if !target.write(chunk) { full = true }
        }
        if full { pause() }
    }

    /// This socket drained: resume the sources piping into it.
    func resumePipeSources() {
        pipeSources.forEach { source, _ in
            if !source.destroyed { source.resume() }
        }
    }

    /// This socket ended: end the destinations that asked for it.
    func endPipeTargets() {
        pipeTargets.forEach { target, end in
            if end { target.end() }
        }
    }

    /// Removes every link of this socket, both ways (on close and when it goes away).
    func unlinkAllPipes() {
        _ = unlinkTargets { _ in true }
        guard !pipeSources.isEmpty else { return }
        let sources = pipeSources
        pipeSources.removeAll()
        sources.forEach { source, _ in
            if source !== self { _ = source.unlinkTargets { $0 === self } }
        }
    }

    /// Removes the destinations that match, and this socket from their sources.
    private func unlinkTargets(where matches: (Socket) -> Bool) -> Bool {
        var removed = false
        pipeTargets.removeAll { target in
            guard matches(target) else { return false }
            if target === self {
                pipeSources.removeAll { $0 === self }
            } else {
                target.pipeSources.removeAll { $0 === self }
            }
            removed = true
            return true
        }
        return removed
    }
}

/// A few sockets, the first one inline (most sockets pipe to, or from, exactly one other, or
/// themselves, and then the list costs no allocation). `strong` lists hold their sockets; the
/// others only point at them (`unowned(unsafe)`), and rely on the pipe links being removed from
/// both sides before a socket goes (see above), so a pointer is never followed after its socket
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
