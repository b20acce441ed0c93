/// `for try await chunk in socket` on the loop-confined socket, for code already on its loop (a
/// task started with `loop.spawn`). The iterator is ``AsyncSocket``'s, with its rules: errors
/// typed as `NetError`, backpressure while nobody awaits, cancellation throws
/// ``NetError/aborted`` and destroys the socket, and every listener it added goes when the
/// iteration ends or the iterator is dropped.
extension Socket: AsyncSequence {
    /// Each element is one chunk read from the peer.
    public typealias Element = Buffer
    /// Read errors end the iteration with a `NetError`.
    public typealias Failure = NetError
    /// The iterator of the socket's async face.
    public typealias AsyncIterator = AsyncSocket.AsyncIterator

    /// An iterator that reads this socket until the peer ends it.
    public func makeAsyncIterator() -> AsyncSocket.AsyncIterator {
        AsyncSocket.AsyncIterator(lease: ReadLease(AsyncSocket(self), ownsChannel: true))
    }
}
