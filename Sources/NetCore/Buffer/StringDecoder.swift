/// Turns a stream of byte chunks into text without breaking characters that straddle two chunks
/// (Node's `string_decoder`, used by `socket.setEncoding`).
///
/// For UTF-8 an incomplete character at the end of a chunk is held back until the next chunk
/// completes it; bytes that cannot complete it become U+FFFD, as in Node. UTF-16LE holds an odd
/// byte and a lone high surrogate; base64 holds the bytes that do not fill a 3-byte group, so
/// the concatenation of the outputs equals the encoding of all the bytes.
public struct StringDecoder: Sendable {
    /// The encoding of the text produced.
    public let encoding: BufferEncoding
    private var pending: [UInt8] = []

    /// A decoder for `encoding` (Node's `new StringDecoder(encoding)`).
    public init(_ encoding: BufferEncoding = .utf8) {
        self.encoding = encoding
    }

    /// The text for `chunk`, holding back an incomplete trailing character
    /// (Node's `decoder.write(buffer)`).
    public mutating func write(_ chunk: Buffer) -> String {
        chunk.withUnsafeBytes { write($0) }
    }

    /// The text for raw bytes, holding back an incomplete trailing character.
    public mutating func write(_ bytes: UnsafeRawBufferPointer) -> String {
        switch encoding {
        case .utf8: return writeUTF8(bytes)
        case .utf16le: return writeHeld(bytes, unit: 2)
        case .base64, .base64url: return writeHeld(bytes, unit: 3)
        case .latin1, .ascii, .hex: return Buffer.decode(bytes, encoding: encoding)
        }
    }

    /// Whatever is held back, as text (U+FFFD for an incomplete UTF-8 character), and a reset
    /// (Node's `decoder.end()`).
    public mutating func end() -> String {
        defer { pending.removeAll() }
        if pending.isEmpty { return "" }
        return pending.withUnsafeBytes { Buffer.decode($0, encoding: encoding) }
    }

    /// Whether bytes are held back waiting for the rest of a character.
    public var hasPendingBytes: Bool { !pending.isEmpty }

    // MARK: UTF-8

    private mutating func writeUTF8(_ bytes: UnsafeRawBufferPointer) -> String {
        // The usual chunk: nothing held back from the last one.
        guard !pending.isEmpty else { return decodeWhole(bytes, from: 0) }
        let need = StringDecoder.utf8Length(pending[0]) - pending.count
        var k = 0
        while k < need, k < bytes.count, bytes[k] & 0xC0 == 0x80 { k += 1 }
        pending += bytes[0..<k]
        if k < need && k == bytes.count { return "" }
        let held = pending.withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
        pending.removeAll(keepingCapacity: true)
        return held + decodeWhole(bytes, from: k)
    }

    /// The whole characters of `bytes` from `start` on, as a string made from the bytes directly
    /// (appended to an empty string, it would go through `String.append`'s general path: about
    /// 160 instructions per chunk); a character the chunk cuts short is held back.
    private mutating func decodeWhole(_ bytes: UnsafeRawBufferPointer, from start: Int) -> String {
        let end = StringDecoder.completeUTF8Prefix(bytes, from: start)
        if end < bytes.count { pending += bytes[end...] }
        return end > start ? String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self) : ""
    }

    /// The length a UTF-8 lead byte announces (1 for anything that is not a multi-byte lead).
    ///
    /// Judged by the high bits alone, as Node's decoder does: `C0`/`C1` announce two bytes and
    /// `F5`–`F7` four, although no valid character starts with them, so they are held back like
    /// any other lead and turn into U+FFFD only once the next bytes (or `end()`) show they are
    /// incomplete.
    static func utf8Length(_ lead: UInt8) -> Int {
        switch lead {
        case 0xC0...0xDF: return 2
        case 0xE0...0xEF: return 3
        case 0xF0...0xF7: return 4
        default: return 1
        }
    }

    /// The end of the bytes that can be decoded now: everything but a trailing lead byte and its
    /// continuation bytes that do not yet make a whole character.
    static func completeUTF8Prefix(_ bytes: UnsafeRawBufferPointer, from start: Int) -> Int {
        let n = bytes.count
        var i = n - 1
        var continuations = 0
        while i >= start, continuations < 3, bytes[i] & 0xC0 == 0x80 {
            i -= 1
            continuations += 1
        }
        guard i >= start else { return n }
        let length = utf8Length(bytes[i])
        return length > 1 && continuations < length - 1 ? i : n
    }

    // MARK: Fixed units

    /// Holds back the bytes that do not fill a whole `unit` (and, for UTF-16, a lone high
    /// surrogate at the end).
    private mutating func writeHeld(_ bytes: UnsafeRawBufferPointer, unit: Int) -> String {
        var all = pending
        all += bytes
        var usable = all.count - all.count % unit
        if encoding == .utf16le, usable >= 2 {
            let last = UInt16(all[usable - 2]) | UInt16(all[usable - 1]) << 8
            if (0xD800...0xDBFF).contains(last) { usable -= 2 }
        }
        pending = Array(all[usable...])
        return all.withUnsafeBytes { Buffer.decode(UnsafeRawBufferPointer(rebasing: $0[0..<usable]), encoding: encoding) }
    }
}
