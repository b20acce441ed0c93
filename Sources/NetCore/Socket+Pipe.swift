/// `pipe`: forward everything read to another socket, with backpressure.
extension Socket {
    /// Writes every chunk this socket reads to `destination`, pausing while the destination's
    /// queue is over its high-water mark and resuming on its `'drain'`; when this socket ends,
    /// `destination.end()` is called unless `end` is false (Node's `readable.pipe(dest, { end })`).
    /// Returns the destination.
    @discardableResult
    public func pipe(_ destination: Socket, end: Bool = true) -> Socket {
        // Weak both ways: either socket may close and go first.
        on(.data) { [weak self, weak destination] chunk in
            guard let destination else { return }
            if !destination.write(chunk) { self?.pause() }
        }
        destination.on(.drain) { [weak self] in
            if let self, !self.destroyed { self.resume() }
        }
        if end {
            on(.end) { [weak destination] in destination?.end() }
        }
        return destination
    }
}
