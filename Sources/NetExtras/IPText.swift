/// Reading and writing the text forms of IP addresses, over UTF-8 bytes, without allocating
/// (formatting allocates only the resulting `String`).
///
/// The parsers follow libuv's `inet_pton` (the BIND code Node uses through `uv_inet_pton`):
/// IPv4 is exactly four decimal fields 0–255 without leading zeros; IPv6 is eight groups of one to
/// four hex digits, at most one `::`, optionally ending in a dotted IPv4 for the last 32 bits.
/// The formatter follows libuv's `inet_ntop`, which Node uses for every address it prints.
enum IPText {
    typealias Bytes = UnsafeBufferPointer<UInt8>

    /// Runs `body` over the UTF-8 bytes of `string`; for a native string this borrows its storage.
    @inline(__always)
    static func withUTF8<R>(_ string: String, _ body: (Bytes) -> R) -> R {
        if let result = string.utf8.withContiguousStorageIfAvailable(body) { return result }
        var copy = string
        return copy.withUTF8(body)
    }

    // MARK: - Parsing

    /// A dotted quad in `bytes[start..<end]` as its 32-bit big-endian value, or `nil`.
    static func parseIPv4(_ bytes: Bytes, _ start: Int, _ end: Int) -> UInt32? {
        var value: UInt32 = 0
        var octet: UInt32 = 0
        var digits = 0
        var octets = 0
        var i = start
        while i < end {
            let c = bytes[i]
            i += 1
            if c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") {
                if digits > 0 && octet == 0 { return nil }  // a leading zero
                octet = octet * 10 + UInt32(c - UInt8(ascii: "0"))
                if octet > 255 { return nil }
                if digits == 0 {
                    octets += 1
                    if octets > 4 { return nil }
                }
                digits += 1
            } else if c == UInt8(ascii: ".") && digits > 0 {
                if octets == 4 { return nil }
                value = value << 8 | octet
                octet = 0
                digits = 0
            } else {
                return nil
            }
        }
        guard octets == 4, digits > 0 else { return nil }
        return value << 8 | octet
    }

    /// The value of an ASCII hex digit, or `nil`.
    @inline(__always)
    static func hexValue(_ c: UInt8) -> UInt32? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt32(c - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return UInt32(c - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return UInt32(c - UInt8(ascii: "A") + 10)
        default: return nil
        }
    }

    /// An IPv6 address (no zone id) in `bytes[start..<end]` as two big-endian halves, or `nil`.
    static func parseIPv6(_ bytes: Bytes, _ start: Int, _ end: Int) -> (high: UInt64, low: UInt64)? {
        // `groups` is a 128-bit shift register of the 16-bit groups read; at a `::` it is saved
        // as `head` and restarted for the groups after it. `count` is the number of groups read.
        var groups = (hi: UInt64(0), lo: UInt64(0))
        var head = (hi: UInt64(0), lo: UInt64(0))
        var count = 0
        var compressAt = -1

        var i = start
        if i < end && bytes[i] == UInt8(ascii: ":") {
            guard i + 1 < end, bytes[i + 1] == UInt8(ascii: ":") else { return nil }
            i += 1
        }
        var tokenStart = i
        var digits = 0
        var group: UInt32 = 0
        scan: while i < end {
            let c = bytes[i]
            i += 1
            if let d = hexValue(c) {
                group = group << 4 | d
                digits += 1
                if digits > 4 { return nil }
                continue
            }
            if c == UInt8(ascii: ":") {
                tokenStart = i
                if digits == 0 {
                    if compressAt >= 0 { return nil }
                    compressAt = count
                    head = groups
                    groups = (0, 0)
                    continue
                }
                if i >= end || count + 1 > 8 { return nil }
                shiftIn(&groups, group)
                count += 1
                digits = 0
                group = 0
                continue
            }
            if c == UInt8(ascii: "."), count + 2 <= 8, let v4 = parseIPv4(bytes, tokenStart, end) {
                shiftIn(&groups, v4 >> 16)
                shiftIn(&groups, v4 & 0xFFFF)
                count += 2
                digits = 0
                break scan
            }
            return nil
        }
        if digits > 0 {
            if count + 1 > 8 { return nil }
            shiftIn(&groups, group)
            count += 1
        }
        if compressAt >= 0 {
            if count == 8 { return nil }
            let shifted = shiftLeft(head, by: 16 * (8 - compressAt))
            return (shifted.hi | groups.hi, shifted.lo | groups.lo)
        }
        return count == 8 ? (groups.hi, groups.lo) : nil
    }

    @inline(__always)
    private static func shiftIn(_ r: inout (hi: UInt64, lo: UInt64), _ group: UInt32) {
        r.hi = r.hi << 16 | r.lo >> 48
        r.lo = r.lo << 16 | UInt64(group)
    }

    private static func shiftLeft(_ r: (hi: UInt64, lo: UInt64), by bits: Int) -> (hi: UInt64, lo: UInt64) {
        if bits == 0 { return r }
        if bits >= 128 { return (0, 0) }
        if bits >= 64 { return (r.lo << UInt64(bits - 64), 0) }
        return (r.hi << UInt64(bits) | r.lo >> UInt64(64 - bits), r.lo << UInt64(bits))
    }

    /// Node's native address parsing for `SocketAddress` (libuv's `uv_ip4_addr`/`uv_ip6_addr`),
    /// quirks included: the string ends at its first NUL (it crosses into C as a C string); for
    /// IPv6 everything from the first `%` on is a zone id that is ignored, and when a zone id is
    /// present only the first 39 bytes before the `%` are read.
    static func parseSocketAddress(_ bytes: Bytes, ipv6: Bool) -> IPValue? {
        var end = 0
        while end < bytes.count && bytes[end] != 0 { end += 1 }
        if !ipv6 {
            return parseIPv4(bytes, 0, end).map(IPValue.init(ipv4:))
        }
        var percent = 0
        while percent < end && bytes[percent] != UInt8(ascii: "%") { percent += 1 }
        if percent < end { end = min(percent, 39) }
        return parseIPv6(bytes, 0, end).map { IPValue(high: $0.high, low: $0.low) }
    }

    /// `parseSocketAddress` over a `String`.
    static func parseSocketAddress(_ string: String, ipv6: Bool) -> IPValue? {
        withUTF8(string) { parseSocketAddress($0, ipv6: ipv6) }
    }

    // MARK: - Formatting

    /// The text Node prints for an address: dotted decimal for IPv4; for IPv6 lowercase hex with
    /// the first longest run of two or more zero groups written `::`, and a dotted tail for
    /// `::a.b.c.d` (six leading zero groups) and `::ffff:a.b.c.d`.
    static func format(_ value: IPValue) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(46)
        if !value.isIPv6 {
            appendIPv4(value.ipv4, to: &out)
            return String(decoding: out, as: UTF8.self)
        }
        var words: [Int] = []
        words.reserveCapacity(8)
        for i in 0..<8 {
            let half = i < 4 ? value.high : value.low
            words.append(Int((half >> UInt64(48 - 16 * (i % 4))) & 0xFFFF))
        }
        // The first longest run of zero words, if at least two long.
        var bestBase = -1, bestLen = 0, curBase = -1, curLen = 0
        for i in 0..<8 {
            if words[i] == 0 {
                if curBase < 0 { curBase = i; curLen = 1 } else { curLen += 1 }
            } else if curBase >= 0 {
                if bestBase < 0 || curLen > bestLen { bestBase = curBase; bestLen = curLen }
                curBase = -1
            }
        }
        if curBase >= 0 && (bestBase < 0 || curLen > bestLen) { bestBase = curBase; bestLen = curLen }
        if bestBase >= 0 && bestLen < 2 { bestBase = -1 }

        var i = 0
        while i < 8 {
            if bestBase >= 0 && i >= bestBase && i < bestBase + bestLen {
                if i == bestBase { out.append(UInt8(ascii: ":")) }
                i += 1
                continue
            }
            if i != 0 { out.append(UInt8(ascii: ":")) }
            if i == 6 && bestBase == 0 && (bestLen == 6 || (bestLen == 5 && words[5] == 0xFFFF)) {
                appendIPv4(value.ipv4, to: &out)
                return String(decoding: out, as: UTF8.self)
            }
            appendHex(words[i], to: &out)
            i += 1
        }
        if bestBase >= 0 && bestBase + bestLen == 8 { out.append(UInt8(ascii: ":")) }
        return String(decoding: out, as: UTF8.self)
    }

    private static func appendIPv4(_ v: UInt32, to out: inout [UInt8]) {
        for shift in stride(from: 24, through: 0, by: -8) {
            appendDecimal(Int((v >> UInt32(shift)) & 0xFF), to: &out)
            if shift != 0 { out.append(UInt8(ascii: ".")) }
        }
    }

    private static func appendDecimal(_ n: Int, to out: inout [UInt8]) {
        if n >= 100 { out.append(UInt8(ascii: "0") + UInt8(n / 100)) }
        if n >= 10 { out.append(UInt8(ascii: "0") + UInt8(n / 10 % 10)) }
        out.append(UInt8(ascii: "0") + UInt8(n % 10))
    }

    private static func appendHex(_ n: Int, to out: inout [UInt8]) {
        let digits: StaticString = "0123456789abcdef"
        var started = false
        for shift in stride(from: 12, through: 0, by: -4) {
            let d = (n >> shift) & 0xF
            if d != 0 || started || shift == 0 {
                started = true
                out.append(digits.utf8Start[d])
            }
        }
    }
}
