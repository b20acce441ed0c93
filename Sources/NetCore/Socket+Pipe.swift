/// `pipe`/`unpipe`: forward everything read to other sockets, with backpressure.
///
/// Built into the socket rather than made of listeners, so an echo server's `socket.pipe(socket)`
/// costs no allocation per connection and no closure call per chunk.
extension Socket {
    /// Writes every chunk this socket reads to `destination`, pausing while the destination's
    /// queue is over its high-water mark and resuming on its `'drain'`; when this socket ends,
    /// `destination.end()` is called unless `end` is false (Node's `readable.pipe(dest, { end })`).
    /// Starts the flow of data. Returns the destination.
    @discardableResult
    public func pipe(_ destination: Socket, end: Bool = true) -> Socket {
        pipeTargets.add(destination, flag: end)
        destination.pipeSources.add(self, flag: false)
        if destination.writableNeedDrain { pause() } else if flowing != true { resume() }
        return destination
    }

    /// Stops piping to `destination`, or to every destination when nil (Node's `unpipe`). The
    /// source is paused if nothing else consumes its data. Returns the socket.
    @discardableResult
    public func unpipe(_ destination: Socket? = nil) -> Socket {
        var removed = false
        pipeTargets.removeAll { target in
            guard destination == nil || target === destination else { return false }
            target?.pipeSources.removeAll { $0 === self || $0 == nil }
            removed = true
            return true
        }
        if removed && pipeTargets.isEmpty && listenerCount(.data) == 0 && listenerCount(.text) == 0 { pause() }
        return self
    }

    /// Writes a chunk to every pipe destination; pauses when one of them is full.
    @inline(__always)
    func deliverToPipes(_ chunk: Buffer) {
        var full = false
        pipeTargets.forEach { target, _ in
            if let target, !target.write(chunk) { full = true }
        }
        if full { pause() }
    }

    /// This socket drained: resume the sources piping into it.
    func resumePipeSources() {
        pipeSources.forEach { source, _ in
            if let source, !source.destroyed, source.pipeTargets.contains(self) { source.resume() }
        }
    }

    /// This socket ended: end the destinations that asked for it.
    func endPipeTargets() {
        pipeTargets.forEach { target, end in
            if end, let target { target.end() }
        }
    }
}

/// A few sockets held weakly, the first one inline: most sockets pipe to, or from, exactly one
/// other (or themselves), and then the list costs no allocation. Each entry carries a flag
/// (for pipe targets: whether to end them).
struct SocketList {
    private weak var first: Socket?
    private var firstFlag = false
    private var hasFirst = false
    private var rest: [Entry] = []

    private struct Entry {
        weak var socket: Socket?
        var flag: Bool
    }

    var isEmpty: Bool { !hasFirst && rest.isEmpty }

    mutating func add(_ socket: Socket, flag: Bool) {
        if !hasFirst {
            first = socket
            firstFlag = flag
            hasFirst = true
        } else {
            rest.append(Entry(socket: socket, flag: flag))
        }
    }

    func contains(_ socket: Socket) -> Bool {
        (hasFirst && first === socket) || rest.contains { $0.socket === socket }
    }

    /// Calls `body` with each entry (the socket may have gone: nil).
    func forEach(_ body: (Socket?, Bool) -> Void) {
        if hasFirst { body(first, firstFlag) }
        for e in rest { body(e.socket, e.flag) }
    }

    mutating func removeAll(where shouldRemove: (Socket?) -> Bool) {
        rest.removeAll { shouldRemove($0.socket) }
        if hasFirst && shouldRemove(first) {
            if let next = rest.first {
                first = next.socket
                firstFlag = next.flag
                rest.removeFirst()
            } else {
                first = nil
                hasFirst = false
            }
        }
    }

    mutating func removeAll() {
        first = nil
        hasFirst = false
        rest.removeAll()
    }
}
