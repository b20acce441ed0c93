import Testing
@testable import NetCore

/// The PROXY protocol header parser: good headers of both versions, every way a header can be
/// bad, and headers cut short at every byte.
@Suite struct ProxyHeaderParserTests {
    let parser = ProxyHeaderParser()

    static func v2(_ verCmd: UInt8, _ famProto: UInt8, _ body: [UInt8]) -> [UInt8] {
        ProxyHeader.v2Signature + [verCmd, famProto, UInt8(body.count >> 8), UInt8(body.count & 0xFF)] + body
    }

    static let v4Body: [UInt8] = [192, 0, 2, 1, 198, 51, 100, 7, 0xDB, 0xE4, 0x01, 0xBB]
    static let v6Body: [UInt8] = [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [1]
        + [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [2] + [0x30, 0x39, 0x00, 0x50]

    struct Good: Sendable, CustomTestStringConvertible {
        let name: String
        let bytes: [UInt8]
        let source: String?
        let destination: String?
        var testDescription: String { name }
    }

    static let good: [Good] = [
        Good(name: "v1 TCP4", bytes: Array("PROXY TCP4 192.0.2.1 198.51.100.7 56292 443\r\n".utf8),
             source: "192.0.2.1:56292", destination: "198.51.100.7:443"),
        Good(name: "v1 TCP6", bytes: Array("PROXY TCP6 2001:db8::1 2001:db8::2 12345 80\r\n".utf8),
             source: "[2001:db8::1]:12345", destination: "[2001:db8::2]:80"),
        Good(name: "v1 port 0 and 65535", bytes: Array("PROXY TCP4 10.0.0.1 10.0.0.2 0 65535\r\n".utf8),
             source: "10.0.0.1:0", destination: "10.0.0.2:65535"),
        Good(name: "v1 UNKNOWN", bytes: Array("PROXY UNKNOWN\r\n".utf8), source: nil, destination: nil),
        Good(name: "v1 UNKNOWN with addresses", bytes: Array("PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n".utf8), source: nil, destination: nil),
        Good(name: "v1 longest line", bytes: Array(("PROXY UNKNOWN " + String(repeating: "x", count: 91) + "\r\n").utf8), source: nil, destination: nil),
        Good(name: "v2 PROXY TCP4", bytes: v2(0x21, 0x11, v4Body), source: "192.0.2.1:56292", destination: "198.51.100.7:443"),
        Good(name: "v2 PROXY TCP6", bytes: v2(0x21, 0x21, v6Body), source: "[2001:db8::1]:12345", destination: "[2001:db8::2]:80"),
        Good(name: "v2 PROXY TCP4 with TLVs", bytes: v2(0x21, 0x11, v4Body + [0x01, 0x00, 0x02, 0x68, 0x32, 0x04, 0x00, 0x00]),
             source: "192.0.2.1:56292", destination: "198.51.100.7:443"),
        Good(name: "v2 PROXY UDP4", bytes: v2(0x21, 0x12, v4Body), source: "192.0.2.1:56292", destination: "198.51.100.7:443"),
        Good(name: "v2 LOCAL", bytes: v2(0x20, 0x00, []), source: nil, destination: nil),
        Good(name: "v2 LOCAL with an address block", bytes: v2(0x20, 0x11, v4Body), source: nil, destination: nil),
        Good(name: "v2 PROXY UNSPEC", bytes: v2(0x21, 0x00, [1, 2, 3]), source: nil, destination: nil),
        Good(name: "v2 PROXY UNIX", bytes: v2(0x21, 0x31, [UInt8](repeating: 0x41, count: 216)), source: nil, destination: nil),
    ]

    @Test(arguments: good)
    func readsGoodHeaders(_ c: Good) {
        let payload = Array("GET / HTTP/1.0\r\n".utf8)
        guard case .header(let h, let length) = parser.parse(c.bytes + payload) else {
            Issue.record("\(c.name): \(parser.parse(c.bytes + payload))")
            return
        }
        #expect(length == c.bytes.count)
        #expect(h.source?.description == c.source)
        #expect(h.destination?.description == c.destination)
        #expect(h.version == (c.bytes.first == 0x0D ? .v2 : .v1))
        // Every strict prefix asks for more, never fails or answers early.
        for n in 0..<c.bytes.count {
            guard case .needMore(let atLeast) = parser.parse(c.bytes[..<n]) else {
                Issue.record("\(c.name): prefix of \(n) bytes gave \(parser.parse(c.bytes[..<n]))")
                return
            }
            #expect(atLeast > n && atLeast <= c.bytes.count)
        }
    }

    struct Bad: Sendable, CustomTestStringConvertible {
        let name: String
        let bytes: [UInt8]
        let error: ProxyHeaderError
        var testDescription: String { name }
    }

    static func malformed(_ name: String, _ bytes: [UInt8]) -> Bad {
        Bad(name: name, bytes: bytes, error: .malformed(""))
    }

    static let bad: [Bad] = [
        Bad(name: "no header", bytes: Array("GET / HTTP/1.1\r\n".utf8), error: .missing),
        Bad(name: "lower-case proxy", bytes: Array("proxy TCP4 1.2.3.4 1.2.3.4 1 2\r\n".utf8), error: .missing),
        Bad(name: "PROXY without space", bytes: Array("PROXYTCP4".utf8), error: .missing),
        Bad(name: "v2 signature broken", bytes: [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0B, 0x21, 0x11, 0, 12], error: .missing),
        Bad(name: "v1 without CRLF in 107 bytes", bytes: Array(("PROXY UNKNOWN " + String(repeating: "x", count: 100)).utf8), error: .tooLong(limit: 107)),
        Bad(name: "v2 longer than the limit", bytes: v2(0x21, 0x11, v4Body + [UInt8](repeating: 0, count: 5000)), error: .tooLong(limit: 4096)),
        malformed("v1 LF without CR", Array("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n".utf8)),
        malformed("v1 unknown protocol", Array("PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n".utf8)),
        malformed("v1 empty protocol", Array("PROXY \r\n".utf8)),
        malformed("v1 missing port", Array("PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n".utf8)),
        malformed("v1 extra field", Array("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n".utf8)),
        malformed("v1 double space", Array("PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n".utf8)),
        malformed("v1 TCP4 with IPv6", Array("PROXY TCP4 ::1 ::1 1 2\r\n".utf8)),
        malformed("v1 TCP6 with IPv4", Array("PROXY TCP6 1.2.3.4 5.6.7.8 1 2\r\n".utf8)),
        malformed("v1 bad IPv4", Array("PROXY TCP4 1.2.3.256 5.6.7.8 1 2\r\n".utf8)),
        malformed("v1 host name", Array("PROXY TCP4 localhost 5.6.7.8 1 2\r\n".utf8)),
        malformed("v1 IPv6 zone", Array("PROXY TCP6 fe80::1%eth0 ::1 1 2\r\n".utf8)),
        malformed("v1 port too big", Array("PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n".utf8)),
        malformed("v1 port leading zero", Array("PROXY TCP4 1.2.3.4 5.6.7.8 080 2\r\n".utf8)),
        malformed("v1 negative port", Array("PROXY TCP4 1.2.3.4 5.6.7.8 -1 2\r\n".utf8)),
        malformed("v1 port with sign", Array("PROXY TCP4 1.2.3.4 5.6.7.8 +1 2\r\n".utf8)),
        malformed("v2 version 1", v2(0x11, 0x11, v4Body)),
        malformed("v2 version 3", v2(0x31, 0x11, v4Body)),
        malformed("v2 command 2", v2(0x22, 0x11, v4Body)),
        malformed("v2 family 4", v2(0x21, 0x41, v4Body)),
        malformed("v2 transport 3", v2(0x21, 0x13, v4Body)),
        malformed("v2 IPv4 block too short", v2(0x21, 0x11, Array(v4Body.prefix(11)))),
        malformed("v2 IPv6 block too short", v2(0x21, 0x21, v4Body)),
        malformed("v2 UNIX block too short", v2(0x21, 0x31, v6Body)),
    ]

    @Test(arguments: bad)
    func refusesBadHeaders(_ c: Bad) {
        let outcome = parser.parse(c.bytes)
        switch (outcome, c.error) {
        case (.failed(.malformed), .malformed): break
        case (.failed(let e), _): #expect(e == c.error, "\(c.name)")
        default: Issue.record("\(c.name): \(outcome)")
        }
    }

    @Test func versionsCanBeRestricted() {
        let v1 = Array("PROXY UNKNOWN\r\n".utf8), v2 = Self.v2(0x20, 0x00, [])
        #expect(ProxyHeaderParser(versions: .v1).parse(v2) == .failed(.versionNotAccepted(.v2)))
        #expect(ProxyHeaderParser(versions: .v2).parse(v1) == .failed(.versionNotAccepted(.v1)))
        #expect(ProxyHeaderParser(versions: .v2).parse(v2) == .header(ProxyHeader(version: .v2), length: 16))
    }

    @Test func largerLimitTakesLargeTLVs() {
        let big = Self.v2(0x21, 0x11, Self.v4Body + [0xEE, 0x27, 0x10] + [UInt8](repeating: 7, count: 10_000))
        guard case .header(let h, let length) = ProxyHeaderParser(maxLength: 20_000).parse(big) else {
            Issue.record("large header refused")
            return
        }
        #expect(length == big.count)
        #expect(h.source?.description == "192.0.2.1:56292")
    }

    @Test(arguments: [ProxyHeader.Version.v1, .v2])
    func encodedHeadersParseBack(_ version: ProxyHeader.Version) throws {
        let cases: [(String, Int, String, Int)] = [
            ("203.0.113.9", 40000, "10.1.2.3", 8443), ("2001:db8::dead:beef", 1, "::1", 65535), ("0.0.0.0", 0, "255.255.255.255", 9),
        ]
        for (s, sp, d, dp) in cases {
            let src = try #require(IPAddress(s)), dst = try #require(IPAddress(d))
            let header = ProxyHeader(version: version, source: ProxyEndpoint(address: src, port: sp),
                                     destination: ProxyEndpoint(address: dst, port: dp))
            let bytes = header.encoded()
            #expect(parser.parse(bytes) == .header(header, length: bytes.count))
        }
        let local = ProxyHeader(version: version)
        #expect(parser.parse(local.encoded()) == .header(local, length: local.encoded().count))
    }
}
