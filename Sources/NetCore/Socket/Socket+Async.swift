/// `for try await chunk in socket`: reading with Swift concurrency, with the same backpressure
/// as `'data'` (the socket is paused whenever nobody is waiting for a chunk).
///
/// Iterate from code running on the socket's loop (a task started with `loop.spawn`).
extension Socket: AsyncSequence {
    /// Each element is one chunk read from the peer.
    public typealias Element = Buffer
    /// Read errors end the iteration with a `NetError`.
    public typealias Failure = NetError

    /// An iterator that reads this socket until the peer ends it.
    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(reader: SocketReader(self)) }

    /// Reads chunks one at a time; `nil` once the peer has ended the stream or the socket closed.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let reader: SocketReader

        /// The next chunk, `nil` at the end, or the read error.
        public mutating func next() async throws(NetError) -> Buffer? {
            try await reader.next()
        }
    }
}

/// The state behind a socket's async iterator: chunks read ahead, the end, an error, and the
/// waiting continuation.
final class SocketReader {
    private let socket: Socket
    private var chunks: [Buffer] = []
    private var finished = false
    private var failure: NetError?
    private var waiter: CheckedContinuation<Buffer?, Error>?

    init(_ socket: Socket) {
        self.socket = socket
        // Weak: the iterator may be dropped (a `break`) while the socket lives on.
        socket.on(.data) { [weak self] chunk in
            guard let self else { return }
            if let w = waiter {
                waiter = nil
                w.resume(returning: chunk)
                if waiter == nil { self.socket.pause() }
            } else {
                chunks.append(chunk)
                self.socket.pause()
            }
        }
        socket.on(.end) { [weak self] in self?.finish(nil) }
        socket.on(.error) { [weak self] in self?.finish($0) }
        socket.on(.close) { [weak self] _ in self?.finish(nil) }
        socket.pause()
    }

    private func finish(_ error: NetError?) {
        if failure == nil { failure = error }
        finished = true
        if let w = waiter {
            waiter = nil
            if let error { w.resume(throwing: error) } else { w.resume(returning: nil) }
        }
    }

    func next() async throws(NetError) -> Buffer? {
        if !chunks.isEmpty { return chunks.removeFirst() }
        if let failure { throw failure }
        if finished { return nil }
        do {
            return try await withCheckedThrowingContinuation { c in
                waiter = c
                socket.resume()
            }
        } catch let error as NetError {
            throw error
        } catch {
            throw NetError(code: "ERR_INTERNAL", message: "\(error)")
        }
    }
}
