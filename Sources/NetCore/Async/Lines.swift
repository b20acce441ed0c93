/// Splits a byte stream into lines, for the line-based protocols (SMTP, Redis inline, chat, the
/// HTTP head): a line ends at `\n`, and a `\r` just before it is dropped. A line longer than
/// `maxLineLength` bytes (its ending not counted) is an error, so a peer that never sends a
/// newline cannot grow memory without bound.
///
/// A value to keep beside a `'data'` listener in callback code:
///
/// ```swift
/// var splitter = LineSplitter()
/// socket.on(.data) { chunk in
///     do { for line in try splitter.push(chunk) { handle(line) } } catch { socket.destroy(error) }
/// }
/// ```
///
/// Async code iterates `socket.lines` instead. Lines are decoded as UTF-8 (invalid bytes become
/// U+FFFD).
public struct LineSplitter: Sendable {
    /// The longest line accepted, in bytes, without its ending.
    public let maxLineLength: Int
    private var pending: [UInt8] = []

    /// A splitter for lines of at most `maxLineLength` bytes (16 KiB unless told).
    public init(maxLineLength: Int = 16 * 1024) {
        self.maxLineLength = maxLineLength
    }

    /// Feeds one chunk and returns the lines it completes, in order. Throws
    /// `ERR_LINE_TOO_LONG` once the line being read exceeds `maxLineLength`.
    public mutating func push(_ chunk: Buffer) throws(NetError) -> [String] {
        var lines: [String] = []
        var failed = false
        chunk.withUnsafeBytes { bytes in
            var start = 0
            for i in 0..<bytes.count where bytes[i] == UInt8(ascii: "\n") {
                pending.append(contentsOf: bytes[start..<i])
                if pending.last == UInt8(ascii: "\r") { pending.removeLast() }
                if pending.count > maxLineLength { failed = true; return }
                lines.append(String(decoding: pending, as: UTF8.self))
                pending.removeAll(keepingCapacity: true)
                start = i + 1
            }
            pending.append(contentsOf: bytes[start...])
        }
        // A line still open may end with the `\r` of its ending: allow that one byte.
        if failed || pending.count > maxLineLength + (pending.last == UInt8(ascii: "\r") ? 1 : 0) {
            pending.removeAll()
            throw NetError.lineTooLong(maxLineLength)
        }
        return lines
    }

    /// The last line when the stream ended without a newline after it, else `nil`.
    public mutating func finish() -> String? {
        defer { pending.removeAll() }
        return pending.isEmpty ? nil : String(decoding: pending, as: UTF8.self)
    }
}

extension NetError {
    /// A line went past the splitter's `maxLineLength` (`ERR_LINE_TOO_LONG`).
    public static func lineTooLong(_ max: Int) -> NetError {
        NetError(code: .ERR_LINE_TOO_LONG, message: "Line longer than \(max) bytes", name: "RangeError")
    }
}

extension NetError.Code {
    /// A line longer than the limit given to `LineSplitter` or `lines(maxLineLength:)`.
    public static let ERR_LINE_TOO_LONG: Self = "ERR_LINE_TOO_LONG"
}

/// The lines of a chunk sequence (a socket), as an async sequence of strings; see
/// ``LineSplitter`` for the rules. A last line without a newline is still delivered at the end.
public struct AsyncLineSequence<Base: AsyncSequence>: AsyncSequence where Base.Element == Buffer, Base.Failure == NetError {
    /// Each element is one line, without its ending.
    public typealias Element = String
    /// The chunk sequence's errors, and `ERR_LINE_TOO_LONG`.
    public typealias Failure = NetError
    let base: Base
    let maxLineLength: Int

    /// An iterator over the lines.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(chunks: base.makeAsyncIterator(), splitter: LineSplitter(maxLineLength: maxLineLength))
    }

    /// Reads chunks as lines are asked for.
    public struct AsyncIterator: AsyncIteratorProtocol {
        var chunks: Base.AsyncIterator?
        var splitter: LineSplitter
        var ready: [String] = []
        var index = 0

        /// The next line, `nil` at the end of the stream.
        nonisolated(nonsending) public mutating func next() async throws(NetError) -> String? {
            while index == ready.count {
                guard chunks != nil else { return nil }
                ready.removeAll(keepingCapacity: true)
                index = 0
                let chunk: Buffer?
                do {
                    chunk = try await chunks!.next(isolation: nil)
                } catch {
                    chunks = nil
                    throw error
                }
                guard let chunk else {
                    chunks = nil
                    return splitter.finish()
                }
                do {
                    ready = try splitter.push(chunk)
                } catch {
                    chunks = nil
                    throw error
                }
            }
            defer { index += 1 }
            return ready[index]
        }
    }
}

extension AsyncSocket {
    /// The socket's input as lines (16 KiB at most each): `for try await line in socket.lines`.
    public var lines: AsyncLineSequence<AsyncSocket> { lines(maxLineLength: 16 * 1024) }

    /// The socket's input as lines of at most `maxLineLength` bytes.
    public func lines(maxLineLength: Int) -> AsyncLineSequence<AsyncSocket> {
        AsyncLineSequence(base: self, maxLineLength: maxLineLength)
    }
}

extension Socket {
    /// The socket's input as lines (16 KiB at most each), for code on the socket's loop.
    public var lines: AsyncLineSequence<Socket> { lines(maxLineLength: 16 * 1024) }

    /// The socket's input as lines of at most `maxLineLength` bytes.
    public func lines(maxLineLength: Int) -> AsyncLineSequence<Socket> {
        AsyncLineSequence(base: self, maxLineLength: maxLineLength)
    }
}
