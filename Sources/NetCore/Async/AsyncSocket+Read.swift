/// `for try await chunk in socket`: reading with Swift concurrency, errors typed as `NetError`.
///
/// The iterator listens for `'data'` and `'end'` while it lives. While nobody awaits a chunk it
/// keeps the one that arrived and pauses the socket, which reads on to its high-water mark and
/// then stops reading from the kernel, so a slow reader slows the peer down. When the iteration
/// ends (the peer's end, an error) or the iterator is dropped (`break`), its listeners are
/// removed and a socket it paused flows again; the socket itself stays open (unlike Node, whose
/// async iterator destroys the stream on `break`). Cancelling the task that awaits a chunk throws
/// ``NetError/aborted`` and destroys the socket.
extension AsyncSocket: AsyncSequence {
    /// Each element is one chunk read from the peer.
    public typealias Element = Buffer
    /// Read errors (`ECONNRESET`…) and cancellation (``NetError/aborted``) end the iteration.
    public typealias Failure = NetError

    /// An iterator that reads until the peer ends the stream or the socket closes.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(lease: ReadLease(self, ownsChannel: false))
    }

    /// Reads chunks one at a time; `nil` once the peer has ended the stream or the socket closed.
    public struct AsyncIterator: AsyncIteratorProtocol {
        var lease: ReadLease?

        /// The next chunk, `nil` at the end, or the error that ended the stream.
        nonisolated(nonsending) public mutating func next() async throws(NetError) -> Buffer? {
            guard let lease else { return nil }
            do {
                if let chunk = try await lease.next() { return chunk }
            } catch {
                self.lease = nil
                throw error
            }
            self.lease = nil
            return nil
        }
    }
}

/// One iterator's hold on a channel: attached as a reader while it lives, detached (on the loop)
/// when it goes. `Sendable`: it holds only the `Sendable` face and a flag set at init.
final class ReadLease: Sendable {
    let socket: AsyncSocket
    /// Whether the channel was made for this iterator alone (a `Socket`'s own iterator): then
    /// all its listeners go with the iterator.
    let ownsChannel: Bool

    init(_ socket: AsyncSocket, ownsChannel: Bool) {
        self.socket = socket
        self.ownsChannel = ownsChannel
        if socket.loop.isCurrent {
            socket.channel.attachReader()
        } else {
            // Queued before any `next()` can get to the loop, so the reader is attached first.
            socket.loop.submit { socket.channel.attachReader() }
        }
    }

    deinit {
        let socket = self.socket
        let owns = ownsChannel
        let detach: @Sendable () -> Void = {
            socket.channel.detachReader()
            if owns { socket.channel.detachAll() }
        }
        if socket.loop.isCurrent { detach() } else { socket.loop.submit(detach) }
    }

    @inline(__always) nonisolated(nonsending) func next() async throws(NetError) -> Buffer? {
        let s = socket
        guard s.loop.isCurrent else {
            return try await s.hop { () async throws(NetError) in try await self.next() }
        }
        if let now = s.channel.readNow() { return try now.get() }
        return try await s.wait { id, resume in s.channel.waitForChunk(id, resume) }
    }
}
