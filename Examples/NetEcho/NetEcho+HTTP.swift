import Net
#if canImport(Glibc)
import Glibc
#endif

/// `net-echo --http`: an HTTP/1.1 keep-alive responder on plain `net`, the way a Node programmer
/// writes one without `node:http`. Every request head (up to its blank line; requests have no
/// body here) gets the same prebuilt response; pipelined requests in one read are answered in
/// order; a head split over reads waits in a small pending buffer.
enum HelloResponder {
    /// The one response, built once and written for every request.
    static let response = Buffer(Array(
        "HTTP/1.1 200 OK\r\nContent-Length: 13\r\nContent-Type: text/plain\r\n\r\nHello, world!".utf8))

    /// The callback face: `on(.data)`, scan, `write` the response per request.
    static func serve(_ socket: Socket) {
        var heads = RequestHeads()
        socket.on(.data) { chunk in
            guard let requests = heads.add(chunk) else {
                socket.destroy()
                return
            }
            for _ in 0..<requests { socket.write(response) }
        }
    }

    /// The async face: `for try await chunk in connection`, then `write` per request.
    static func serve(_ connection: AsyncSocket) async throws(NetError) {
        var heads = RequestHeads()
        for try await chunk in connection {
            guard let requests = heads.add(chunk) else {
                await connection.destroy()
                return
            }
            for _ in 0..<requests { try await connection.write(response) }
        }
    }
}

/// Finds the ends of request heads (`\r\n\r\n`) in a stream of chunks.
///
/// A chunk that ends on a head boundary (the usual case) costs no allocation: it is scanned in
/// place and nothing is kept. Only a partial head is kept, copied into storage of its own so the
/// read buffer it came in is not held.
struct RequestHeads {
    /// A partial head bigger than this is refused (the connection is destroyed).
    static let limit = 64 * 1024

    private var pending = Buffer()

    /// Adds a chunk; returns how many heads it completed, or nil when the partial head left over
    /// is larger than `limit`.
    mutating func add(_ chunk: Buffer) -> Int? {
        let bytes: Buffer
        // Resume the search 3 bytes before the new data: the terminator may straddle the chunks.
        let resume: Int
        if pending.isEmpty {
            bytes = chunk
            resume = 0
        } else {
            bytes = Buffer.concat([pending, chunk])
            resume = max(0, pending.count - 3)
        }
        var requests = 0
        let consumed = bytes.withUnsafeBytes { raw in
            var start = 0, from = resume
            while let end = Self.headEnd(in: raw, from: from) {
                requests += 1
                start = end
                from = end
            }
            return start
        }
        if consumed == bytes.count {
            pending = Buffer()
        } else {
            if bytes.count - consumed > Self.limit { return nil }
            pending = bytes.subarray(consumed).copy()
        }
        return requests
    }

    /// The index just past the first `\r\n\r\n` at or after `from`, if any.
    static func headEnd(in raw: UnsafeRawBufferPointer, from: Int) -> Int? {
        guard let base = raw.baseAddress else { return nil }
        var at = from
        while raw.count - at >= 4 {
            guard let found = memchr(base + at, 0x0D, raw.count - at - 3) else { return nil }
            let i = base.distance(to: UnsafeRawPointer(found))
            if raw[i + 1] == 0x0A && raw[i + 2] == 0x0D && raw[i + 3] == 0x0A { return i + 4 }
            at = i + 1
        }
        return nil
    }
}
