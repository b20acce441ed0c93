/// `pipe`/`unpipe`: forward everything read to another socket, with backpressure.
extension Socket {
    /// Writes every chunk this socket reads to `destination`, pausing while the destination's
    /// queue is over its high-water mark and resuming on its `'drain'`; when this socket ends,
    /// `destination.end()` is called unless `end` is false (Node's `readable.pipe(dest, { end })`).
    /// Returns the destination.
    @discardableResult
    public func pipe(_ destination: Socket, end: Bool = true) -> Socket {
        // Weak both ways: either socket may close and go first.
        let data = addListener(.data) { [weak self, weak destination] chunk in
            guard let destination else { return }
            if !destination.write(chunk) { self?.pause() }
        }
        let drain = destination.addListener(.drain) { [weak self, weak destination] in
            if let self, let destination, !self.destroyed, self.pipes.contains(where: { $0.destination === destination }) {
                self.resume()
            }
        }
        let ending = end ? addListener(.end) { [weak destination] in destination?.end() } : nil
        pipes.append(PipeLink(destination: destination, data: data, drain: drain, end: ending))
        return destination
    }

    /// Stops piping to `destination`, or to every destination when nil (Node's `unpipe`). The
    /// source is paused if nothing else consumes its data. Returns the socket.
    @discardableResult
    public func unpipe(_ destination: Socket? = nil) -> Socket {
        let (gone, kept) = (
            pipes.filter { destination == nil || $0.destination === destination },
            pipes.filter { destination != nil && $0.destination !== destination }
        )
        pipes = kept
        for link in gone {
            off(link.data)
            if let end = link.end { off(end) }
            link.destination?.off(link.drain)
        }
        if pipes.isEmpty && listenerCount(.data) == 0 && !gone.isEmpty { pause() }
        return self
    }
}

/// One `pipe` from a socket to a destination.
struct PipeLink {
    weak var destination: Socket?
    let data: ListenerToken
    let drain: ListenerToken
    let end: ListenerToken?
}
