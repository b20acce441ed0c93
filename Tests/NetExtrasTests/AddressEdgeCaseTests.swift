// The edge cases of IP address text, with the answers Node 20 gives for each through every API
// that reads an address: `net.isIP`/`isIPv4`/`isIPv6`, `new net.SocketAddress({ address, family
// })` and `blockList.check(address, family)` on a list that blocks every address of both
// families. All of them go through NetCore's one `IPAddress` parser: `isIP` and the parsed value
// of ``IPAddress/init(_:)`` (used by connect, listen and lookup checks) read the text as
// JavaScript's `net.isIP` does; `SocketAddress` and `BlockList` read it as Node's C++ binding does
// (libuv's `uv_ip6_addr`: any zone id is accepted and dropped). The two readings differ only in
// what may follow a `%` and in a NUL ending the text.
import NetCore
import NetExtras
import Testing

@Suite struct AddressEdgeCaseTests {
    /// One input and Node's answers. `socketAddress` is the address `new SocketAddress` prints
    /// for each family, or `nil` where it throws `ERR_INVALID_ADDRESS`; `blocked` is what
    /// `check` answers for each family on the catch-all list.
    struct Case: CustomTestStringConvertible, Sendable {
        var input: String
        var isIP: Int
        var socketAddress: (ipv4: String?, ipv6: String?)
        var blocked: (ipv4: Bool, ipv6: Bool)
        /// What `IPAddress(input)` prints (with the zone), or `nil` where it is not an address.
        var parsed: String?
        var testDescription: String { input.debugDescription }
    }

    // Recorded with `node` v20 (see the header). `parsed` is ours: the value connect and listen
    // use, which is an address exactly when `isIP` is not 0.
    static let cases: [Case] = [
        Case(input: "fe80::1%", isIP: 0, socketAddress: (nil, "fe80::1"), blocked: (false, true), parsed: nil),
        Case(input: "fe80::1%eth0", isIP: 6, socketAddress: (nil, "fe80::1"), blocked: (false, true), parsed: "fe80::1%eth0"),
        Case(input: "fe80::1%1", isIP: 6, socketAddress: (nil, "fe80::1"), blocked: (false, true), parsed: "fe80::1%1"),
        Case(input: "::ffff:1.2.3.4", isIP: 6, socketAddress: (nil, "::ffff:1.2.3.4"), blocked: (false, true), parsed: "::ffff:1.2.3.4"),
        Case(input: "::FFFF:1.2.3.4", isIP: 6, socketAddress: (nil, "::ffff:1.2.3.4"), blocked: (false, true), parsed: "::ffff:1.2.3.4"),
        Case(input: "::ffff:c000:201", isIP: 6, socketAddress: (nil, "::ffff:192.0.2.1"), blocked: (false, true), parsed: "::ffff:192.0.2.1"),
        Case(input: "::ffff:01.2.3.4", isIP: 0, socketAddress: (nil, nil), blocked: (false, false), parsed: nil),
        Case(input: "::1.2.3.4", isIP: 6, socketAddress: (nil, "::1.2.3.4"), blocked: (false, true), parsed: "::1.2.3.4"),
        Case(input: "1.2.3.4%1", isIP: 0, socketAddress: (nil, nil), blocked: (false, false), parsed: nil),
        Case(input: "01.2.3.4", isIP: 0, socketAddress: (nil, nil), blocked: (false, false), parsed: nil),
        Case(input: "::", isIP: 6, socketAddress: (nil, "::"), blocked: (false, true), parsed: "::"),
        Case(input: "FE80::ABCD", isIP: 6, socketAddress: (nil, "fe80::abcd"), blocked: (false, true), parsed: "fe80::abcd"),
        Case(input: "1.2.3.4", isIP: 4, socketAddress: ("1.2.3.4", nil), blocked: (true, false), parsed: "1.2.3.4"),
        Case(input: "0.0.0.0", isIP: 4, socketAddress: ("0.0.0.0", nil), blocked: (true, false), parsed: "0.0.0.0"),
        Case(input: "255.255.255.255", isIP: 4, socketAddress: ("255.255.255.255", nil), blocked: (true, false), parsed: "255.255.255.255"),
        Case(input: "256.1.1.1", isIP: 0, socketAddress: (nil, nil), blocked: (false, false), parsed: nil),
        Case(input: "1.2.3", isIP: 0, socketAddress: (nil, nil), blocked: (false, false), parsed: nil),
        Case(input: "1::", isIP: 6, socketAddress: (nil, "1::"), blocked: (false, true), parsed: "1::"),
        Case(input: "1:2:3:4:5:6:7::", isIP: 6, socketAddress: (nil, "1:2:3:4:5:6:7:0"), blocked: (false, true), parsed: "1:2:3:4:5:6:7:0"),
        Case(input: "fe80::1%eth0%x", isIP: 0, socketAddress: (nil, "fe80::1"), blocked: (false, true), parsed: nil),
        Case(input: "fe80::1%eth 0", isIP: 0, socketAddress: (nil, "fe80::1"), blocked: (false, true), parsed: nil),
        Case(input: "fe80::1%a\u{0}b", isIP: 0, socketAddress: (nil, "fe80::1"), blocked: (false, true), parsed: nil),
        Case(input: "fe80:0000:0000:0000:0000:0000:0000:0001%zz", isIP: 6, socketAddress: (nil, "fe80::1"),
             blocked: (false, true), parsed: "fe80::1%zz"),
        // The binding reads only 39 bytes before a `%`: Node's `SocketAddress` (and its connect,
        // through libuv 1.44's `uv_ip6_addr`) cuts `…127.0.0.12` to `…127.0.0.1`. The value
        // connect and listen use here keeps the whole address `isIP` accepted.
        Case(input: "0000:0000:0000:0000:0000:ffff:127.0.0.12%lo", isIP: 6, socketAddress: (nil, "::ffff:127.0.0.1"),
             blocked: (false, true), parsed: "::ffff:127.0.0.12%lo"),
        Case(input: " 1.2.3.4", isIP: 0, socketAddress: (nil, nil), blocked: (false, false), parsed: nil),
        Case(input: "1.2.3.4 ", isIP: 0, socketAddress: (nil, nil), blocked: (false, false), parsed: nil),
        Case(input: "[::1]", isIP: 0, socketAddress: (nil, nil), blocked: (false, false), parsed: nil),
        Case(input: "", isIP: 0, socketAddress: (nil, nil), blocked: (false, false), parsed: nil),
    ]

    /// A list that blocks every IPv4 and every IPv6 address.
    static func catchAll() throws -> BlockList {
        let list = BlockList()
        try list.addSubnet("0.0.0.0", prefix: 0)
        try list.addSubnet("::", prefix: 0, family: .ipv6)
        return list
    }

    @Test(arguments: cases)
    func everyReaderGivesNodesAnswer(_ c: Case) throws {
        #expect(isIP(c.input) == c.isIP)
        #expect(isIPv4(c.input) == (c.isIP == 4))
        #expect(isIPv6(c.input) == (c.isIP == 6))
        #expect(IPAddress.family(of: c.input) == c.isIP)
        #expect(IPAddress(c.input)?.description == c.parsed)
        #expect(IPAddress(c.input)?.family ?? 0 == c.isIP)
        #expect((try? SocketAddress(address: c.input, family: .ipv4))?.address == c.socketAddress.ipv4)
        #expect((try? SocketAddress(address: c.input, family: .ipv6))?.address == c.socketAddress.ipv6)
        let list = try Self.catchAll()
        #expect(list.check(c.input, family: .ipv4) == c.blocked.ipv4)
        #expect(list.check(c.input, family: .ipv6) == c.blocked.ipv6)
    }

    @Test func zonesAreKeptByTheValueAndDroppedBySocketAddress() throws {
        let a = try #require(IPAddress("FE80::1%eth0"))
        #expect(a.zone == "eth0")
        #expect(a.isIPv6 && a.family == 6)
        #expect(a.withoutZone.description == "fe80::1")
        #expect(a != a.withoutZone)
        #expect(IPAddress("::1")?.zone == nil)
        #expect(try SocketAddress(address: "fe80::1%eth0", family: .ipv6) == SocketAddress(address: "fe80::1", family: .ipv6))
    }

    @Test func blockListTakesTheParsedValue() throws {
        let list = BlockList()
        try list.addAddress("1.2.3.4")
        try list.addSubnet("fe80::", prefix: 10, family: .ipv6)
        let filter: any AddressFilter = list
        #expect(try filter.blocks(#require(IPAddress("1.2.3.4"))))
        #expect(try filter.blocks(#require(IPAddress("::ffff:1.2.3.4"))))
        #expect(try filter.blocks(#require(IPAddress("fe80::1%eth0"))))
        #expect(try !filter.blocks(#require(IPAddress("1.2.3.5"))))
        #expect(list.check(IPAddress(ipv4: 0x0102_0304)))
    }
}
