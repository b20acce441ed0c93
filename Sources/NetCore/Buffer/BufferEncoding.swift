/// A character encoding for turning strings into bytes and back, as Node's encoding names.
public enum BufferEncoding: String, Sendable, CaseIterable, CustomStringConvertible {
    /// UTF-8 (`'utf8'`, `'utf-8'`), the default.
    case utf8
    /// UTF-16 little-endian (`'utf16le'`, `'ucs2'`).
    case utf16le
    /// One byte per character, the low 8 bits of each UTF-16 code unit (`'latin1'`, `'binary'`).
    case latin1
    /// Like latin1 when encoding; decoding clears the high bit of each byte (`'ascii'`).
    case ascii
    /// Base64 with padding; decoding accepts both alphabets and skips other characters.
    case base64
    /// Base64 with the URL alphabet and no padding.
    case base64url
    /// Two lowercase hex digits per byte; decoding stops at the first pair that is not hex.
    case hex

    /// Node's alias for `latin1`.
    public static let binary = BufferEncoding.latin1
    /// Node's alias for `utf16le`.
    public static let ucs2 = BufferEncoding.utf16le

    /// The encoding for one of Node's names, case-insensitively (`"UTF-8"`, `"ucs-2"`,
    /// `"binary"`…); `nil` for an unknown name (Node's `ERR_UNKNOWN_ENCODING`).
    public init?(name: String) {
        switch name.lowercased() {
        case "utf8", "utf-8": self = .utf8
        case "utf16le", "utf-16le", "ucs2", "ucs-2": self = .utf16le
        case "latin1", "binary": self = .latin1
        case "ascii": self = .ascii
        case "base64": self = .base64
        case "base64url": self = .base64url
        case "hex": self = .hex
        default: return nil
        }
    }

    /// Node's name of the encoding.
    public var description: String { rawValue }
}

extension Buffer {
    /// A buffer holding `string` encoded with `encoding` (Node's `Buffer.from(string, encoding)`).
    public init(_ string: String, encoding: BufferEncoding = .utf8) {
        switch encoding {
        case .utf8:
            var s = string
            self = s.withUTF8 { Buffer(copying: UnsafeRawBufferPointer($0)) }
        default:
            let capacity = Buffer.maxByteLength(string, encoding: encoding)
            self = Buffer(unsafeUninitializedCapacity: capacity) { out in
                Buffer.encode(string, encoding: encoding, into: out)
            }
        }
    }

    /// Node's `Buffer.from(string, encoding)`.
    public static func from(_ string: String, _ encoding: BufferEncoding = .utf8) -> Buffer {
        Buffer(string, encoding: encoding)
    }

    /// Node's `Buffer.byteLength(string, encoding)`: how many bytes `string` encodes to.
    public static func byteLength(_ string: String, encoding: BufferEncoding = .utf8) -> Int {
        switch encoding {
        case .utf8: return string.utf8.count
        case .utf16le: return string.utf16.count * 2
        case .latin1, .ascii: return string.utf16.count
        case .hex, .base64, .base64url: return Buffer(string, encoding: encoding).count
        }
    }

    /// The bytes as a string in `encoding` (Node's `buf.toString(encoding, start, end)`).
    /// Malformed UTF-8 becomes U+FFFD, as in Node.
    ///
    /// As in Node, and unlike `subarray`, negative positions do not count from the end: a `start`
    /// below 0 means 0, an `end` past the buffer means its length, and an `end` at or before
    /// `start` gives `""`.
    public func toString(_ encoding: BufferEncoding = .utf8, start: Int = 0, end: Int? = nil) -> String {
        if start == 0 && end == nil {
            return withUnsafeBytes { Buffer.decode($0, encoding: encoding) }
        }
        let from = Swift.max(0, start)
        let to = Swift.min(end ?? count, count)
        if to <= from { return "" }
        return self[from..<to].withUnsafeBytes { Buffer.decode($0, encoding: encoding) }
    }

    /// An upper bound of the encoded size, for sizing output space.
    static func maxByteLength(_ string: String, encoding: BufferEncoding) -> Int {
        switch encoding {
        case .utf8: return string.utf8.count
        case .utf16le: return string.utf16.count * 2
        case .latin1, .ascii: return string.utf16.count
        case .hex: return string.utf8.count / 2
        case .base64, .base64url: return (string.utf8.count * 3) / 4 + 3
        }
    }

    /// Encodes `string` into `out` (sized by `maxByteLength`), returning the bytes written.
    static func encode(_ string: String, encoding: BufferEncoding, into out: UnsafeMutableRawBufferPointer) -> Int {
        var n = 0
        switch encoding {
        case .utf8:
            for b in string.utf8 { out[n] = b; n += 1 }
        case .utf16le:
            for u in string.utf16 { out[n] = UInt8(truncatingIfNeeded: u); out[n + 1] = UInt8(u >> 8); n += 2 }
        case .latin1, .ascii:
            for u in string.utf16 { out[n] = UInt8(truncatingIfNeeded: u); n += 1 }
        case .hex:
            n = Buffer.decodeLowBytes(of: string, with: HexCodec.self, into: out)
        case .base64, .base64url:
            n = Buffer.decodeLowBytes(of: string, with: Base64Codec.self, into: out)
        }
        return n
    }

    /// Decodes the low bytes of `string`'s UTF-16 code units (see `lowBytes(of:)`) with `codec`.
    /// For an ASCII string (every hex or base64 text in practice) those are its UTF-8 bytes,
    /// read in place instead of through the UTF-16 view.
    static func decodeLowBytes<C: LowByteDecoder>(
        of string: String, with codec: C.Type, into out: UnsafeMutableRawBufferPointer
    ) -> Int {
        var s = string
        if let n = s.withUTF8({ bytes in bytes.allSatisfy { $0 < 0x80 } ? C.decode(bytes, into: out) : nil }) {
            return n
        }
        return C.decode(lowBytes(of: string), into: out)
    }

    /// The low byte of each UTF-16 code unit: what Node's hex and base64 decoders look at, so a
    /// character such as U+0547 reads as `G` (0x47) and U+013D as `=`, as in Node.
    static func lowBytes(of string: String) -> LazyMapSequence<String.UTF16View, UInt8> {
        string.utf16.lazy.map { UInt8(truncatingIfNeeded: $0) }
    }

    static func decode(_ bytes: UnsafeRawBufferPointer, encoding: BufferEncoding) -> String {
        switch encoding {
        case .utf8:
            return String(decoding: bytes, as: UTF8.self)
        case .utf16le:
            let units = (0..<(bytes.count / 2)).map { UInt16(bytes[2 * $0]) | UInt16(bytes[2 * $0 + 1]) << 8 }
            return String(decoding: units, as: UTF16.self)
        case .latin1:
            var s = ""
            s.unicodeScalars.append(contentsOf: bytes.map { Unicode.Scalar($0) })
            return s
        case .ascii:
            return String(decoding: bytes.map { $0 & 0x7F }, as: UTF8.self)
        case .hex:
            return HexCodec.encode(bytes)
        case .base64:
            return Base64Codec.encode(bytes, url: false)
        case .base64url:
            return Base64Codec.encode(bytes, url: true)
        }
    }
}

/// A text decoder that reads bytes (a string's low bytes, see `Buffer.lowBytes(of:)`) and writes
/// what they encode: hex and base64.
protocol LowByteDecoder {
    /// Decodes `text` into `out`, returning how many bytes it wrote.
    static func decode<S: Sequence<UInt8>>(_ text: S, into out: UnsafeMutableRawBufferPointer) -> Int
}

/// Hex text to bytes and back, with Node's leniency.
enum HexCodec: LowByteDecoder {
    private static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    static func value(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// Pairs of hex digits to bytes, stopping at the first pair that is not hex; an odd last
    /// digit is ignored.
    static func decode<S: Sequence<UInt8>>(_ text: S, into out: UnsafeMutableRawBufferPointer) -> Int {
        var n = 0
        var high: UInt8? = nil
        for c in text {
            guard let v = value(c) else { break }
            if let h = high {
                out[n] = h << 4 | v
                n += 1
                high = nil
            } else {
                high = v
            }
        }
        return n
    }

    static func encode(_ bytes: UnsafeRawBufferPointer) -> String {
        String(unsafeUninitializedCapacity: bytes.count * 2) { out in
            for (i, b) in bytes.enumerated() {
                out[2 * i] = digits[Int(b >> 4)]
                out[2 * i + 1] = digits[Int(b & 15)]
            }
            return bytes.count * 2
        }
    }
}

/// Base64 and base64url, written by hand for Node's decoding rules: both alphabets accepted,
/// characters outside them skipped, decoding ends at the first `=`.
enum Base64Codec: LowByteDecoder {
    private static let standard: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    private static let url: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    static func value(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): return c - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): return c - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0") + 52
        case UInt8(ascii: "+"), UInt8(ascii: "-"): return 62
        case UInt8(ascii: "/"), UInt8(ascii: "_"): return 63
        default: return nil
        }
    }

    static func decode<S: Sequence<UInt8>>(_ text: S, into out: UnsafeMutableRawBufferPointer) -> Int {
        var n = 0
        var acc: UInt32 = 0
        var bits = 0
        for c in text {
            if c == UInt8(ascii: "=") { break }
            guard let v = value(c) else { continue }
            acc = (acc << 6) | UInt32(v)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out[n] = UInt8(truncatingIfNeeded: acc >> UInt32(bits))
                n += 1
            }
        }
        return n
    }

    static func encode(_ bytes: UnsafeRawBufferPointer, url useURL: Bool) -> String {
        let alphabet = useURL ? url : standard
        let full = bytes.count / 3
        let rest = bytes.count % 3
        let length = full * 4 + (rest == 0 ? 0 : (useURL ? rest + 1 : 4))
        return String(unsafeUninitializedCapacity: length) { out in
            var o = 0
            var i = 0
            while i + 3 <= bytes.count {
                let v = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
                for shift in [18, 12, 6, 0] { out[o] = alphabet[Int((v >> UInt32(shift)) & 63)]; o += 1 }
                i += 3
            }
            if rest > 0 {
                let v = UInt32(bytes[i]) << 16 | (rest == 2 ? UInt32(bytes[i + 1]) << 8 : 0)
                out[o] = alphabet[Int((v >> 18) & 63)]; o += 1
                out[o] = alphabet[Int((v >> 12) & 63)]; o += 1
                if rest == 2 { out[o] = alphabet[Int((v >> 6) & 63)]; o += 1 }
                if !useURL {
                    if rest == 1 { out[o] = UInt8(ascii: "="); o += 1 }
                    out[o] = UInt8(ascii: "="); o += 1
                }
            }
            return o
        }
    }
}
