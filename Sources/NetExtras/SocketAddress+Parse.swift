// `SocketAddress.parse`: Node 23.4's parser, which reads its input as the host and port of an
// `http://` URL with the WHATWG URL parser. Only the part of that parser that can lead to an
// IP address is reproduced here.

import NetCore

extension SocketAddress {
    /// Parses `"host:port"` into a socket address, or returns `nil` (Node's
    /// `SocketAddress.parse(input)`, added in Node 23.4).
    ///
    /// The input is read as what follows `http://` in a URL, so:
    /// - `"192.0.2.1:80"`, `"[::1]:8080"`, `"[::1]"` (port 0), `"user:pw@192.0.2.1:80"`
    ///   (credentials are skipped), `"192.0.2.1:80/path?q"` (the rest is ignored);
    /// - the host may use every IPv4 form a browser accepts: fewer than four parts
    ///   (`"192.168.257"` is `192.168.1.1`, `"256"` is `0.0.1.0`), hex (`"0xffffffff"`), octal
    ///   (`"0300.0250.0.1"`), a trailing dot, percent-encoding (`"%31.2.3.4"`), upper case;
    ///   fullwidth digits and ideographic full stops are mapped to ASCII as IDNA does;
    /// - the port is the decimal number written after the host (leading zeros allowed, at most
    ///   65535). Node 23.4 returned port 0 for a written `:80`, the `http` default port; later
    ///   Node versions and this parser return 80.
    ///
    /// Returns `nil` for host names (`"localhost:80"`), zone ids, bad ports (`"1.2.3.4:x"`,
    /// `"12:12:12"`), out-of-range parts (`"259.1.1.1"`) and anything else a URL parser would
    /// reject. Other non-ASCII text that IDNA would map to ASCII digits is not recognised.
    public static func parse(_ input: String) -> SocketAddress? {
        var bytes = prepare(input)
        // The "special authority ignore slashes" state: extra slashes after `http://` are skipped.
        var start = 0
        while start < bytes.count && (bytes[start] == UInt8(ascii: "/") || bytes[start] == UInt8(ascii: "\\")) {
            start += 1
        }
        var end = start
        while end < bytes.count && !isAuthorityEnd(bytes[end]) { end += 1 }
        // Credentials end at the last `@`.
        var hostStart = start
        for i in start..<end where bytes[i] == UInt8(ascii: "@") { hostStart = i + 1 }
        // The host ends at the first `:` outside brackets.
        var hostEnd = hostStart
        var inBrackets = false
        while hostEnd < end {
            let c = bytes[hostEnd]
            if c == UInt8(ascii: ":") && !inBrackets { break }
            if c == UInt8(ascii: "[") { inBrackets = true }
            if c == UInt8(ascii: "]") { inBrackets = false }
            hostEnd += 1
        }
        guard hostEnd > hostStart else { return nil }
        var port = 0
        if hostEnd < end {
            for i in (hostEnd + 1)..<end {
                let c = bytes[i]
                guard c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") else { return nil }
                port = port * 10 + Int(c - UInt8(ascii: "0"))
                if port > 65535 { return nil }
            }
        }
        bytes.removeSubrange(hostEnd...)
        bytes.removeSubrange(..<hostStart)
        guard let ip = parseHost(bytes) else { return nil }
        return SocketAddress(ip: ip, port: port)
    }

    /// The URL parser's preprocessing: trailing C0 controls and spaces are trimmed and every tab,
    /// line feed and carriage return is removed.
    private static func prepare(_ input: String) -> [UInt8] {
        var bytes = input.utf8.filter { $0 != 0x09 && $0 != 0x0A && $0 != 0x0D }
        while let last = bytes.last, last <= 0x20 { bytes.removeLast() }
        return bytes
    }

    private static func isAuthorityEnd(_ c: UInt8) -> Bool {
        c == UInt8(ascii: "/") || c == UInt8(ascii: "?") || c == UInt8(ascii: "#") || c == UInt8(ascii: "\\")
    }

    /// The URL host parser, limited to the outcomes that are IP addresses.
    static func parseHost(_ host: [UInt8]) -> IPAddress? {
        if host.first == UInt8(ascii: "[") {
            guard host.count >= 2, host.last == UInt8(ascii: "]") else { return nil }
            return host.withUnsafeBufferPointer { b in
                IPAddress.parseIPv6(b, 1, b.count - 1)
            }
        }
        guard let domain = asciiDomain(percentDecoded(host)), endsInNumber(domain) else { return nil }
        return parseURLIPv4(domain).map(IPAddress.init(ipv4:))
    }

    private static func percentDecoded(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "%"), i + 2 < bytes.count,
                let h = IPAddress.hexDigitValue(bytes[i + 1]), let l = IPAddress.hexDigitValue(bytes[i + 2])
            {
                out.append(UInt8(h << 4 | l))
                i += 3
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return out
    }

    /// Domain-to-ASCII for the cases that can still become an IPv4 address: ASCII is lowered;
    /// fullwidth ASCII (U+FF01–U+FF5E) and the ideographic full stops (U+3002, U+FF61) are mapped
    /// as UTS #46 maps them. Anything else non-ASCII gives `nil` (a host name, never an address).
    private static func asciiDomain(_ bytes: [UInt8]) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        for scalar in String(decoding: bytes, as: UTF8.self).unicodeScalars {
            var v = scalar.value
            switch v {
            case 0..<0x80: break
            case 0xFF01...0xFF5E: v -= 0xFEE0
            case 0x3002, 0xFF61: v = 0x2E
            default: return nil
            }
            if v >= 0x41 && v <= 0x5A { v += 0x20 }
            out.append(UInt8(v))
        }
        return out
    }

    /// The URL standard's "ends in a number": the last label (ignoring one trailing empty label)
    /// is all digits or a valid IPv4 number (`0x1f`, `017`).
    private static func endsInNumber(_ domain: [UInt8]) -> Bool {
        var labels = domain.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        if labels.last?.isEmpty == true {
            if labels.count == 1 { return false }
            labels.removeLast()
        }
        guard let last = labels.last, !last.isEmpty else { return false }
        if last.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) { return true }
        return ipv4Number(last) != nil
    }

    /// The URL standard's IPv4 number parser: `0x`/`0X` prefix for hex, a leading `0` for octal,
    /// otherwise decimal. Values above 2^32 are reported as 2^32 + 1 (they fail later anyway).
    private static func ipv4Number(_ part: ArraySlice<UInt8>) -> UInt64? {
        guard !part.isEmpty else { return nil }
        var digits = part
        var radix: UInt64 = 10
        if digits.count >= 2, digits.first == UInt8(ascii: "0"),
            digits[digits.startIndex + 1] | 0x20 == UInt8(ascii: "x")
        {
            digits = digits.dropFirst(2)
            radix = 16
        } else if digits.count >= 2, digits.first == UInt8(ascii: "0") {
            digits = digits.dropFirst()
            radix = 8
        }
        let limit: UInt64 = (1 << 32) + 1
        var value: UInt64 = 0
        for c in digits {
            guard let d = IPAddress.hexDigitValue(c).map(UInt64.init), d < radix,
                radix == 16 || c <= UInt8(ascii: "9")
            else { return nil }
            value = min(value * radix + d, limit)
        }
        return value
    }

    /// The URL standard's IPv4 parser: one to four numbers; all but the last at most 255; the last
    /// fills the remaining bytes.
    private static func parseURLIPv4(_ domain: [UInt8]) -> UInt32? {
        var parts = domain.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        if parts.last?.isEmpty == true && parts.count > 1 { parts.removeLast() }
        guard parts.count <= 4 else { return nil }
        var numbers: [UInt64] = []
        for part in parts {
            guard let n = ipv4Number(part) else { return nil }
            numbers.append(n)
        }
        guard let last = numbers.last else { return nil }
        for n in numbers.dropLast() where n > 255 { return nil }
        guard last < (UInt64(1) << (8 * UInt64(5 - numbers.count))) else { return nil }
        var value = last
        for (i, n) in numbers.dropLast().enumerated() {
            value += n << UInt64(8 * (3 - i))
        }
        return UInt32(truncatingIfNeeded: value)
    }
}
