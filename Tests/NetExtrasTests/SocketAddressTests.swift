// node: test/parallel/test-socketaddress.js (v23.9, plus the `parse` cases added after it)
//
// A SocketAddress defaults to 127.0.0.1 (or :: for IPv6), port 0, flow label 0; it validates the
// port, the flow label and the address text, reporting Node's error codes and messages, and
// prints addresses the way Node does. `parse` reads "host:port" as the authority of an http URL.
import Foundation
import NetCore
import NetExtras
import Testing

@Suite struct SocketAddressTests {
    @Test func hasNodesDefaults() throws {
        let a = try SocketAddress()
        #expect(a.address == "127.0.0.1" && a.port == 0 && a.family == .ipv4 && a.flowlabel == 0)
        let b = try SocketAddress(family: .ipv6)
        #expect(b.address == "::" && b.port == 0 && b.family == .ipv6 && b.flowlabel == 0)
        let c = try SocketAddress(family: .ipv6, flowlabel: 1)
        #expect(c.address == "::" && c.flowlabel == 1)
    }

    @Test func keepsAddressAndPort() throws {
        let a = try SocketAddress(address: "123.123.123.123", port: 80)
        #expect(a.address == "123.123.123.123" && a.port == 80 && a.family == .ipv4)
        #expect(try SocketAddress(address: "1.2.3.4", port: 65535).port == 65535)
    }

    @Test func familyStringsAreNodes() throws {
        #expect(SocketAddress.Family.ipv4.rawValue == "ipv4")
        #expect(SocketAddress.Family.ipv6.description == "ipv6")
        #expect(try SocketAddress.Family(validating: "IPv6") == .ipv6)
        #expect(try SocketAddress.Family(validating: "IPV4") == .ipv4)
        let error = #expect(throws: NetError.self) { try SocketAddress.Family(validating: "test") }
        #expect(error?.code == .ERR_INVALID_ARG_VALUE)
        #expect(error?.message == "The property 'options.family' is invalid. Received 'test'")
        #expect(error?.name == "TypeError")
    }

    @Test(arguments: [-1, 65536, 100_000, Int.min])
    func rejectsBadPorts(_ port: Int) {
        let error = #expect(throws: NetError.self) { try SocketAddress(port: port) }
        #expect(error?.code == .ERR_SOCKET_BAD_PORT)
        #expect(error?.message == "options.port should be >= 0 and < 65536. Received type number (\(port)).")
    }

    @Test func rejectsFlowLabelsOutsideUInt32() {
        let negative = #expect(throws: NetError.self) { try SocketAddress(flowlabel: -1) }
        #expect(negative?.code == .ERR_OUT_OF_RANGE)
        #expect(
            negative?.message
                == "The value of \"options.flowlabel\" is out of range. It must be >= 0 && <= 4294967295. Received -1")
        let big = #expect(throws: NetError.self) { try SocketAddress(flowlabel: 4_294_967_297) }
        #expect(big?.message.hasSuffix("Received 4_294_967_297") == true)
        #expect(throws: NetError.self) { try SocketAddress(family: .ipv6, flowlabel: 4_294_967_296) }
    }

    @Test func ipv4IgnoresTheFlowLabelAndIPv6KeepsTwentyBits() throws {
        #expect(try SocketAddress(address: "127.0.0.1", flowlabel: 1_048_576).flowlabel == 0)
        #expect(try SocketAddress(address: "::1", family: .ipv6, flowlabel: 0xFFFFF).flowlabel == 0xFFFFF)
        // Node aborts the process here; this throws instead.
        let error = #expect(throws: NetError.self) {
            try SocketAddress(address: "::1", family: .ipv6, flowlabel: 0x100000)
        }
        #expect(error?.code == .ERR_OUT_OF_RANGE)
    }

    @Test(arguments: [
        ("foo", SocketAddress.Family.ipv4), ("1.2.3.4", .ipv6), ("::1", .ipv4), ("01.2.3.4", .ipv4),
        ("1.2.3", .ipv4), ("1.2.3.4%x", .ipv4), ("1.2.3.4 ", .ipv4), ("", .ipv4), ("", .ipv6),
        (":::", .ipv6), ("1::2::3", .ipv6), ("0000:0000:0000:0000:0000:0000:255.255.255.255%1", .ipv6),
    ])
    func rejectsTextThatIsNotAnAddressOfTheFamily(_ address: String, _ family: SocketAddress.Family) {
        let error = #expect(throws: NetError.self) { try SocketAddress(address: address, family: family) }
        #expect(error?.code == .ERR_INVALID_ADDRESS)
        #expect(error?.message == "Invalid socket address")
    }

    @Test func checksThePortBeforeTheAddress() {
        let error = #expect(throws: NetError.self) { try SocketAddress(address: "foo", port: -1) }
        #expect(error?.code == .ERR_SOCKET_BAD_PORT)
    }

    // Addresses read and print as libuv's inet_pton/inet_ntop do (Node's native SocketAddress).
    @Test(arguments: [
        ("FE80::ABCD", "fe80::abcd"), ("0:0:0:0:0:0:0:1", "::1"), ("fe80::1%eth0", "fe80::1"),
        ("::1%", "::1"), ("::1%@#$ ", "::1"), ("::ffff:1.2.3.4", "::ffff:1.2.3.4"),
        ("::ffff:0:0", "::ffff:0.0.0.0"), ("0:0:0:0:0:ffff:0:1", "::ffff:0.0.0.1"),
        ("::0.0.1.0", "::100"), ("::1.2.3.4", "::1.2.3.4"), ("::0.1.0.0", "::0.1.0.0"),
        ("::0.0.0.1", "::1"), ("1:0:0:1:0:0:0:1", "1:0:0:1::1"), ("1:0:0:2:0:0:1:1", "1::2:0:0:1:1"),
        ("::ffff:1:2", "::ffff:0.1.0.2"), ("0:0:0:0:0:fffe:1:2", "::fffe:1:2"),
        ("1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"), ("::1:2:3:4:5:6:7", "0:1:2:3:4:5:6:7"),
        ("::0:0:0:0:0:0:0", "::"), ("0000:0000:0000:0000:0000:0000:255.255.255.255", "::255.255.255.255"),
        ("0::0:ffff:abcd:1234", "::ffff:171.205.18.52"),
        // libuv reads only the first 39 characters before a zone id...
        ("0000:0000:0000:0000:0000:0000:0000:0001%x", "::1"),
        ("0000:0000:0000:0000:0000:0000:0000:00001%x", "::"),
        ("0000:0000:0000:0000:0000:0000:0000:0001x%x", "::1"),
        // ...and the text ends at a NUL, as a C string does.
        ("::1\u{0}zz", "::1"),
    ])
    func ipv6TextIsNormalisedAsNodePrintsIt(_ input: String, _ printed: String) throws {
        let a = try SocketAddress(address: input, family: .ipv6)
        #expect(a.address == printed)
        #expect(a.family == .ipv6)
    }

    @Test func ipv4TextEndsAtANulAsInNode() throws {
        #expect(try SocketAddress(address: "1.2.3.4\u{0}xyz").address == "1.2.3.4")
        #expect(try SocketAddress(address: "255.255.255.255").address == "255.255.255.255")
        #expect(try SocketAddress(address: "0.0.0.0").address == "0.0.0.0")
    }

    @Test func describesItselfAsNodeInspects() throws {
        let a = try SocketAddress(address: "::1", family: .ipv6, port: 65535, flowlabel: 7)
        #expect(a.description == "SocketAddress { address: '::1', port: 65535, family: 'ipv6', flowlabel: 7 }")
        #expect("\(try SocketAddress())" == "SocketAddress { address: '127.0.0.1', port: 0, family: 'ipv4', flowlabel: 0 }")
    }

    @Test func equalityAndHashingFollowTheNormalisedValue() throws {
        let a = try SocketAddress(address: "FE80:0::1%eth0", family: .ipv6, port: 1)
        let b = try SocketAddress(address: "fe80::1", family: .ipv6, port: 1)
        #expect(a == b)
        #expect(Set([a, b]).count == 1)
        #expect(a != (try SocketAddress(address: "fe80::1", family: .ipv6, port: 2)))
    }

    @Test func codableUsesNodesToJSONShape() throws {
        let a = try SocketAddress(address: "::1", family: .ipv6, port: 443, flowlabel: 7)
        let data = try JSONEncoder().encode(a)
        let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        #expect(object?["address"] as? String == "::1")
        #expect(object?["port"] as? Int == 443)
        #expect(object?["family"] as? String == "ipv6")
        #expect(object?["flowlabel"] as? Int == 7)
        #expect(try JSONDecoder().decode(SocketAddress.self, from: data) == a)

        let defaults = try JSONDecoder().decode(SocketAddress.self, from: Data("{}".utf8))
        #expect(defaults == (try SocketAddress()))
        let upper = try JSONDecoder().decode(SocketAddress.self, from: Data(#"{"family":"IPv6"}"#.utf8))
        #expect(upper.address == "::")
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(SocketAddress.self, from: Data(#"{"address":"foo"}"#.utf8))
        }
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(SocketAddress.self, from: Data(#"{"port":70000}"#.utf8))
        }
    }

    // Expected values as Node 20's URL parser yields them (checked with the local node binary).
    @Test(arguments: [
        ("1.2.3.4", "1.2.3.4", 0, SocketAddress.Family.ipv4), ("192.168.257:1", "192.168.1.1", 1, .ipv4),
        ("256", "0.0.1.0", 0, .ipv4), ("999999999:12", "59.154.201.255", 12, .ipv4),
        ("0xffffffff", "255.255.255.255", 0, .ipv4), ("0x.0x.0", "0.0.0.0", 0, .ipv4),
        ("[1:0::]", "1::", 0, .ipv6), ("[1::8]:123", "1::8", 123, .ipv6),
        ("127.0.0.1:80", "127.0.0.1", 80, .ipv4), ("127.0.0.1:443", "127.0.0.1", 443, .ipv4),
        ("[::1]:80", "::1", 80, .ipv6), ("[::1]:443", "::1", 443, .ipv6),
        ("user:80@1.2.3.4", "1.2.3.4", 0, .ipv4), ("user:80@1.2.3.4:80", "1.2.3.4", 80, .ipv4),
        ("user:80@1.2.3.4:123", "1.2.3.4", 123, .ipv4), ("user:80@[::1]", "::1", 0, .ipv6),
        ("user:80@[::1]:80", "::1", 80, .ipv6), ("user:80@[::1]:123", "::1", 123, .ipv6),
        ("0300.0250.0.1", "192.168.0.1", 0, .ipv4), ("%31.2.3.4", "1.2.3.4", 0, .ipv4),
        ("1.2.3.4.", "1.2.3.4", 0, .ipv4), ("1.2.3.4:0080", "1.2.3.4", 80, .ipv4),
        ("1.2.3.4:", "1.2.3.4", 0, .ipv4), ("1.2.3.4:80/path?q#f", "1.2.3.4", 80, .ipv4),
        ("//1.2.3.4", "1.2.3.4", 0, .ipv4), (#"\\1.2.3.4:5"#, "1.2.3.4", 5, .ipv4),
        ("1.2.\t3.4", "1.2.3.4", 0, .ipv4), ("1.2.3.4  ", "1.2.3.4", 0, .ipv4),
        ("[::ffff:1.2.3.4]:1", "::ffff:1.2.3.4", 1, .ipv6), ("０x７f.１", "127.0.0.1", 0, .ipv4),
        ("1。2。3。4", "1.2.3.4", 0, .ipv4), ("0X7F.1", "127.0.0.1", 0, .ipv4),
        ("4294967295", "255.255.255.255", 0, .ipv4), ("1.16777215", "1.255.255.255", 0, .ipv4),
        ("1.2.65535", "1.2.255.255", 0, .ipv4), ("@1.2.3.4", "1.2.3.4", 0, .ipv4),
        ("1.2.3.4\u{0}", "1.2.3.4", 0, .ipv4), ("1.2.3.4?x:9", "1.2.3.4", 0, .ipv4),
        ("[::1.2.3.4]", "::1.2.3.4", 0, .ipv6), ("0xFF.0377.65535", "255.255.255.255", 0, .ipv4),
    ])
    func parseReadsHostAndPort(_ input: String, _ address: String, _ port: Int, _ family: SocketAddress.Family) {
        let parsed = SocketAddress.parse(input)
        #expect(parsed?.address == address)
        #expect(parsed?.port == port)
        #expect(parsed?.family == family)
        #expect(parsed?.flowlabel == 0)
    }

    @Test(arguments: [
        "not an ip", "abc.123", "259.1.1.1", "12:12:12", "1.2.3.4:65536", "[fe80::1%eth0]",
        "localhost:80", "1.2.3.09", "1.2.3.08a", "4294967296", "1.16777216", "[::1]x:80", "user@",
        "1.2.3.4@", "[::1", "::1", "1.2.3.4:80:90", "1..2", "0x100000000", "", "  1.2.3.4",
        "1.2.3.4 :5", "[1.2.3.4]", "1.2.3.4:-1", "1.2.3.4:+1", "1.2.3.4:1e3", "[]",
    ])
    func parseRejectsWhatIsNotAnAddress(_ input: String) {
        #expect(SocketAddress.parse(input) == nil)
    }
}
