// The one IP address parser. Every reader of address text in the package goes through the
// scanners here; they read UTF-8 bytes in place and allocate nothing (only a zone id, when one
// is kept, becomes a `String`).
//
// The address grammar is libuv's `inet_pton` (the BIND code Node uses): IPv4 is exactly four
// decimal fields 0–255 without leading zeros; IPv6 is eight groups of one to four hex digits in
// either case, at most one `::` (which may also stand for no group, as in `1:2:3:4:5:6:7::`),
// optionally ending in a dotted IPv4 address for the last 32 bits.
//
// Node reads the text around that grammar in two ways, and both are kept here as two entry points
// over the same scanners:
// - JavaScript's `net.isIP` (connect, listen, lookup answers, `localAddress`): the whole text is
//   the address, and an IPv6 address may end in a zone id of one or more of `0-9 a-z A-Z - . :`.
//   This is ``IPAddress/init(_:)``.
// - The C++ binding (`new SocketAddress`, `BlockList`): libuv's `uv_ip4_addr`/`uv_ip6_addr`, which
//   see a C string (the text ends at its first NUL) and, for IPv6, take everything from the first
//   `%` on as a zone id of any bytes, reading at most 39 bytes before the `%`. This is
//   ``IPAddress/init(bindingText:ipv6:)``.

extension IPAddress {
    /// Parses an IP address as Node's `net.isIP` reads one; `nil` for anything `net.isIP`
    /// answers 0 for. An IPv6 zone id (`fe80::1%eth0`) is kept in ``zone``.
    ///
    /// `"1.2.3.4"`, `"::ffff:1.2.3.4"`, `"FE80::1"`, `"fe80::1%eth0"`, `"fe80::1%1"` and `"::"`
    /// parse; `"01.2.3.4"`, `"1.2.3.4%1"`, `"fe80::1%"`, `" 1.2.3.4"` and `"[::1]"` do not.
    public init?(_ text: String) {
        guard let (address, zoneStart) = IPAddress.withUTF8(text, IPAddress.scan) else { return nil }
        if zoneStart < 0 {
            self = address
        } else {
            let zone = String(decoding: text.utf8.dropFirst(zoneStart), as: UTF8.self)
            self = IPAddress(ipv6High: address.high, low: address.low, zone: zone)
        }
    }

    /// 4, 6 or 0: the family of `text` as Node's `net.isIP` answers it, without allocating.
    public static func family(of text: String) -> Int {
        withUTF8(text) { scan($0)?.address.family ?? 0 }
    }

    /// Parses an address of one family as Node's C++ binding reads it for `new SocketAddress`
    /// and `BlockList` (libuv's `uv_ip4_addr`/`uv_ip6_addr`): the text ends at its first NUL;
    /// for IPv6, everything from the first `%` on is a zone id of any bytes, which is dropped,
    /// and with a zone id only the first 39 bytes before the `%` are read. `fe80::1%` and
    /// `fe80::1%eth 0` parse as `fe80::1`; IPv4 text never carries a zone.
    package init?(bindingText text: String, ipv6: Bool) {
        guard let address = IPAddress.withUTF8(text, { IPAddress.scanBinding($0, ipv6: ipv6) }) else { return nil }
        self = address
    }

    /// An IPv6 address (no zone) in `bytes[start..<end]`, or `nil`.
    package static func parseIPv6(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> IPAddress? {
        scanIPv6(bytes, start, end).map { IPAddress(ipv6High: $0.high, low: $0.low) }
    }

    /// The value of an ASCII hex digit (either case), or `nil`.
    @inline(__always)
    package static func hexDigitValue(_ c: UInt8) -> UInt32? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt32(c - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return UInt32(c - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return UInt32(c - UInt8(ascii: "A") + 10)
        default: return nil
        }
    }

    // MARK: - Scanners

    /// Runs `body` over the UTF-8 bytes of `string`; for a native string this borrows its storage.
    @inline(__always)
    static func withUTF8<R>(_ string: String, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        if let result = string.utf8.withContiguousStorageIfAvailable(body) { return result }
        var copy = string
        return copy.withUTF8(body)
    }

    /// `net.isIP`'s reading of all of `bytes`: the address, and the offset of its zone id
    /// (after the `%`), or -1 without one.
    static func scan(_ bytes: UnsafeBufferPointer<UInt8>) -> (address: IPAddress, zoneStart: Int)? {
        if let v4 = scanIPv4(bytes, 0, bytes.count) { return (IPAddress(ipv4: v4), -1) }
        var end = 0
        while end < bytes.count && bytes[end] != UInt8(ascii: "%") { end += 1 }
        var zoneStart = -1
        if end < bytes.count {
            // A zone id: one or more of [0-9a-zA-Z-.:].
            guard end + 1 < bytes.count else { return nil }
            for i in (end + 1)..<bytes.count where !isZoneByte(bytes[i]) { return nil }
            zoneStart = end + 1
        }
        guard let v6 = scanIPv6(bytes, 0, end) else { return nil }
        return (IPAddress(ipv6High: v6.high, low: v6.low), zoneStart)
    }

    /// The C++ binding's reading of `bytes` as one family (see ``init(bindingText:ipv6:)``).
    static func scanBinding(_ bytes: UnsafeBufferPointer<UInt8>, ipv6: Bool) -> IPAddress? {
        var end = 0
        while end < bytes.count && bytes[end] != 0 { end += 1 }
        if !ipv6 { return scanIPv4(bytes, 0, end).map(IPAddress.init(ipv4:)) }
        var percent = 0
        while percent < end && bytes[percent] != UInt8(ascii: "%") { percent += 1 }
        if percent < end { end = min(percent, 39) }
        return parseIPv6(bytes, 0, end)
    }

    @inline(__always)
    private static func isZoneByte(_ c: UInt8) -> Bool {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: ":"):
            return true
        default:
            return false
        }
    }

    /// A dotted quad in `bytes[start..<end]` as its 32-bit value, or `nil`.
    static func scanIPv4(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> UInt32? {
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

    /// An IPv6 address (no zone id) in `bytes[start..<end]` as two big-endian halves, or `nil`.
    static func scanIPv6(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> (high: UInt64, low: UInt64)? {
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
            if let d = hexDigitValue(c) {
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
            if c == UInt8(ascii: "."), count + 2 <= 8, let v4 = scanIPv4(bytes, tokenStart, end) {
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
}
