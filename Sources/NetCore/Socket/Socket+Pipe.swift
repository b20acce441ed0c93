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
    /// Starts the flow of data, and the destination emits `'pipe'` with this socket. When the
    /// destination finishes, closes or fails, it is unpiped (see `unpipe`). Returns the
    /// destination.
    @discardableResult
    public func pipe(_ destination: Socket, end: Bool = true) -> Socket {
        pipeTargets.add(destination, flag: end)
        destination.pipeSources.add(self, flag: false)
        // As in Node: the pipe starts a flow not started yet (as its 'data' listener would), the
        // destination hears 'pipe', then a destination waiting for 'drain' pauses the source,
        // or a paused source resumes.
        if state.flow == .initial { resume() }
        destination.emit(.pipe, self)
        if destination.writableNeedDrain { pause() } else if state.flow != .flowing { resume() }
        return destination
    }

    /// Stops piping to `destination`, or to every destination when nil (Node's `unpipe`). When
    /// no destination is left the socket is paused (even with a `'data'` listener, as in Node),
    /// then each destination removed emits `'unpipe'` with this socket. Returns the socket.
    @discardableResult
    public func unpipe(_ destination: Socket? = nil) -> Socket {
        guard !pipeTargets.isEmpty else { return self }
        guard let destination else {
            let removed = pipeTargets  // holds them for the events
            _ = unlinkTargets { _ in true }
            pause()
            removed.forEach { target, _ in target.emit(.unpipe, self) }
            return self
        }
        // One link per call, as in Node, for a destination piped to more than once.
        guard pipeTargets.removeFirst(where: { $0 === destination }) else { return self }
        _ = destination.pipeSources.removeFirst { $0 === self }
        if pipeTargets.isEmpty { pause() }
        destination.emit(.unpipe, self)
        return self
    }

    /// This socket, a destination, finishes, closes or fails: each source unpipes it first, as
    /// the listeners Node's `pipe` adds for those events do (before the listeners added after
    /// the pipe was made; for `'error'`, before every listener).
    func unpipeFromSources() {
        let sources = pipeSources
        sources.forEach { source, _ in source.unpipe(self) }
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
