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
        if let only = pipeTargets.onlySocket {
            // One destination (an echo's `socket.pipe(socket)`, a proxy's leg): borrowed, not
            // retained, for the one `write` (see `SocketList.onlySocket` for why that is sound).
            full = !only._withUnsafeGuaranteedRef { $0.write(chunk) }
        } else {
            full = !deliverToEveryPipe(chunk)
        }
        if full { pipeFull() }
    }

    /// `deliverToPipes` with several destinations (or a weak list): false when one is full.
    @inline(never)
    private func deliverToEveryPipe(_ chunk: Buffer) -> Bool {
        var ok = true
        pipeTargets.forEach { target, _ in
            if !target.write(chunk) { ok = false }
        }
        return ok
    }

    /// A destination is full: stop the flow (out of line; the read path inlines the rest).
    @inline(never)
    func pipeFull() {
        // A pipe's own backpressure stops reading at once instead of buffering up to the
        // high-water mark first as a user's `pause()` does (Node's paused source keeps
        // reading): the destination is already full, so what the source would buffer only
        // waits longer. Same events in the same order; a peer is slowed down 64 KiB sooner,
        // and a Unix-socket stream echo keeps its speed (0.95× raw libuv instead of 0.78×).
        pause()
        handle?.readStop()
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
