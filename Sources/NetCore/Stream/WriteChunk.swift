/// One queued write: the bytes still to send, the caller's callback, and how many bytes it
/// counts for in `writableLength` (the whole write until its callback, as in Node, even when
/// the kernel already took part of it).
struct WriteChunk {
    /// The largest piece one `uv_buf_t` is given (its length is 32 bits).
    static let maxBytes = 1 << 30

    var buffer: Buffer
    var callback: ((NetError?) -> Void)?
    var size: Int

    init(buffer: Buffer, callback: ((NetError?) -> Void)?, size: Int? = nil) {
        self.buffer = buffer
        self.callback = callback
        self.size = size ?? buffer.count
    }

    /// `buffer` cut into chunks of at most `maxBytes`; the last carries the callback and whatever
    /// of `size` the others do not.
    static func pieces(
        of buffer: Buffer, callback: ((NetError?) -> Void)?, size: Int, maxBytes: Int = WriteChunk.maxBytes
    ) -> [WriteChunk] {
        var out: [WriteChunk] = []
        var rest = buffer
        var accounted = 0
        while rest.count > maxBytes {
            let piece = rest.subarray(0, maxBytes)
            out.append(WriteChunk(buffer: piece, callback: nil, size: piece.count))
            accounted += piece.count
            rest = rest.subarray(maxBytes)
        }
        out.append(WriteChunk(buffer: rest, callback: callback, size: size - accounted))
        return out
    }
}

