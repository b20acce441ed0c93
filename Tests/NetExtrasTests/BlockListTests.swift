// node: test/parallel/test-blocklist.js (v23.9)
//
// A BlockList blocks single addresses, inclusive ranges and subnets. An IPv4 address and its
// IPv4-mapped IPv6 form are the same address for every kind of rule; other IPv6 addresses never
// match IPv4 rules. Ranges compare as unsigned numbers; any prefix from 0 to the family's width
// works. Adding validates (bad address, start after end, prefix out of range); checking never
// throws. `rules` lists Node's rule texts newest first.
import Foundation
import NetCore
import NetExtras
import Testing

@Suite struct BlockListTests {
    @Test func blocksSingleAddressesOfBothFamilies() throws {
        let list = BlockList()
        try list.addAddress("1.1.1.1")
        try list.addAddress("8592:757c:efae:4e45:fb5d:d62a:0d00:8e17", family: .ipv6)
        try list.addAddress("::ffff:1.1.1.2", family: .ipv6)

        #expect(list.check("1.1.1.1"))
        #expect(!list.check("1.1.1.1", family: .ipv6))  // not IPv6 text
        #expect(!list.check("8592:757c:efae:4e45:fb5d:d62a:0d00:8e17"))  // not IPv4 text
        #expect(list.check("8592:757c:efae:4e45:fb5d:d62a:0d00:8e17", family: .ipv6))
        #expect(list.check("::ffff:1.1.1.1", family: .ipv6))
        #expect(list.check("1.1.1.2"))
        #expect(!list.check("1.2.3.4"))
        #expect(!list.check("::1", family: .ipv6))
    }

    @Test func acceptsSocketAddressesForRulesAndChecks() throws {
        let list = BlockList()
        let sa1 = try SocketAddress(address: "1.1.1.1")
        let sa2 = try SocketAddress(address: "8592:757c:efae:4e45:fb5d:d62a:0d00:8e17", family: .ipv6)
        let sa3 = try SocketAddress(address: "1.1.1.2", port: 80)
        list.addAddress(sa1)
        list.addAddress(sa2)
        try list.addAddress("::ffff:1.1.1.2", family: .ipv6)

        #expect(list.check("1.1.1.1") && list.check(sa1))
        #expect(!list.check("8592:757c:efae:4e45:fb5d:d62a:0d00:8e17"))
        #expect(list.check(sa2))
        #expect(list.check("::ffff:1.1.1.1", family: .ipv6))
        #expect(list.check(sa3))  // the port plays no part
        #expect(!list.check("1.2.3.4"))
    }

    @Test func keepsDuplicateRulesAsNode23Does() throws {
        let list = BlockList()
        try list.addAddress("1.1.1.1")
        try list.addAddress("1.1.1.1")
        #expect(list.rules == ["Address: IPv4 1.1.1.1", "Address: IPv4 1.1.1.1"])
    }

    @Test func rangesAreInclusive() throws {
        let strings = BlockList()
        try strings.addRange("1.1.1.1", "1.1.1.10")
        try strings.addRange("::1", "::f", family: .ipv6)
        let addresses = BlockList()
        try addresses.addRange(SocketAddress(address: "1.1.1.1"), SocketAddress(address: "1.1.1.10"))
        try addresses.addRange(
            SocketAddress(address: "::1", family: .ipv6), SocketAddress(address: "::f", family: .ipv6))

        for list in [strings, addresses] {
            #expect(!list.check("1.1.1.0"))
            for n in 1...10 { #expect(list.check("1.1.1.\(n)")) }
            #expect(!list.check("1.1.1.11"))
            #expect(!list.check("::0", family: .ipv6))
            for n in 0x1...0xF { #expect(list.check("::\(String(n, radix: 16))", family: .ipv6)) }
            #expect(!list.check("::10", family: .ipv6))
        }
    }

    @Test func subnetsMatchTheirPrefix() throws {
        let list = BlockList()
        try list.addSubnet("1.1.1.0", prefix: 16)
        try list.addSubnet("8592:757c:efae:4e45::", prefix: 64, family: .ipv6)
        #expect(list.check("1.1.0.1"))
        #expect(list.check("1.1.1.1"))
        #expect(!list.check("1.2.0.1"))
        #expect(list.check("::ffff:1.1.0.1", family: .ipv6))
        #expect(list.check("8592:757c:efae:4e45:f::", family: .ipv6))
        #expect(list.check("8592:757c:efae:4e45::f", family: .ipv6))
        #expect(!list.check("8592:757c:efae:4f45::f", family: .ipv6))

        let viaAddress = BlockList()
        try viaAddress.addSubnet(SocketAddress(address: "1.1.1.0"), prefix: 16)
        #expect(viaAddress.check(try SocketAddress(address: "1.1.1.1")))
        #expect(!viaAddress.check("1.2.0.1"))
    }

    @Test func listsRulesNewestFirstInNodesWords() throws {
        let list = BlockList()
        try list.addAddress("1.1.1.1")
        try list.addRange("10.0.0.1", "10.0.0.10")
        try list.addSubnet("8592:757c:efae:4e45::", prefix: 64, family: .ipv6)
        #expect(
            list.rules == [
                "Subnet: IPv6 8592:757c:efae:4e45::/64",
                "Range: IPv4 10.0.0.1-10.0.0.10",
                "Address: IPv4 1.1.1.1",
            ])
        #expect(list.check("1.1.1.1"))
        #expect(list.check("10.0.0.5"))
        #expect(list.check("::ffff:10.0.0.5", family: .ipv6))
        #expect(list.check("8592:757c:efae:4e45::f", family: .ipv6))
        #expect(!list.check("123.123.123.123"))
        #expect(!list.check("8592:757c:efaf:4e45:fb5d:d62a:0d00:8e17", family: .ipv6))
        #expect(!list.check("::ffff:123.123.123.123", family: .ipv6))
    }

    @Test func nonOctetPrefixesHaveExactBoundaries() throws {
        let list = BlockList()
        try list.addSubnet("10.0.0.0", prefix: 27)
        try list.addSubnet("8592:757c:efaf::", prefix: 51, family: .ipv6)
        for n in 0...31 { #expect(list.check("10.0.0.\(n)")) }
        #expect(!list.check("10.0.0.32"))
        #expect(list.check("8592:757c:efaf:0:0:0:0:0", family: .ipv6))
        #expect(list.check("8592:757c:efaf:1fff:ffff:ffff:ffff:ffff", family: .ipv6))
        #expect(!list.check("8592:757c:efaf:2fff:ffff:ffff:ffff:ffff", family: .ipv6))
    }

    // Node bug #39074: ranges compared in host byte order.
    @Test func rangesCompareAsBigEndianNumbers() throws {
        let list = BlockList()
        try list.addRange("10.0.0.2", "10.0.0.10")
        #expect(list.check("10.0.0.2"))
        #expect(list.check("10.0.0.10"))
        #expect(!list.check("192.168.0.3"))
        #expect(!list.check("2.2.2.2"))
        #expect(!list.check("255.255.255.255"))
        #expect(list.check("::ffff:0a00:0002", family: .ipv6))
        #expect(list.check("::ffff:0a00:000a", family: .ipv6))
        #expect(!list.check("::ffff:c0a8:0003", family: .ipv6))
        #expect(!list.check("::ffff:0202:0202", family: .ipv6))
        #expect(!list.check("::ffff:ffff:ffff", family: .ipv6))

        let carry = BlockList()
        try carry.addRange("10.0.0.255", "10.0.1.0")
        #expect(carry.check("10.0.0.255") && carry.check("10.0.1.0"))
        #expect(!carry.check("10.0.0.128") && !carry.check("10.0.1.1"))
    }

    // Node bug #43360: a /32 subnet matched every address.
    @Test func fullLengthAndZeroPrefixes() throws {
        let v4 = BlockList()
        try v4.addSubnet("1.2.3.4", prefix: 32)
        #expect(v4.check("1.2.3.4") && !v4.check("1.2.3.5"))
        #expect(v4.check("::ffff:1.2.3.4", family: .ipv6) && !v4.check("::ffff:1.2.3.5", family: .ipv6))

        let all4 = BlockList()
        try all4.addSubnet("1.2.3.4", prefix: 0)
        #expect(all4.check("200.2.3.5") && all4.check("::ffff:1.2.3.4", family: .ipv6))
        #expect(!all4.check("::1", family: .ipv6))  // not IPv4-mapped: never an IPv4 match

        let v6 = BlockList()
        try v6.addSubnet("::ffff:1.2.3.0", prefix: 128, family: .ipv6)
        #expect(v6.check("1.2.3.0") && !v6.check("1.2.3.4"))

        let all6 = BlockList()
        try all6.addSubnet("::", prefix: 0, family: .ipv6)
        #expect(all6.check("1.2.3.0") && all6.check("::1", family: .ipv6))

        let one = BlockList()
        try one.addSubnet("1.2.3.4", prefix: 1)
        #expect(one.check("127.2.3.5") && !one.check("128.0.0.0"))

        let mapped = BlockList()
        try mapped.addSubnet("::ffff:1.2.3.0", prefix: 120, family: .ipv6)
        #expect(mapped.check("1.2.3.4") && !mapped.check("1.2.4.4") && !mapped.check("::1", family: .ipv6))
    }

    @Test func mixedFamilyRangesFollowNodesComparison() throws {
        let unrelated = BlockList()
        try unrelated.addRange(SocketAddress(address: "1.1.1.1"), SocketAddress(address: "::1", family: .ipv6))
        #expect(unrelated.rules == ["Range: IPv4 1.1.1.1-::1"])
        #expect(!unrelated.check("1.1.1.1") && !unrelated.check("1.1.1.5") && !unrelated.check("::1", family: .ipv6))

        let mapped = BlockList()
        try mapped.addRange(
            SocketAddress(address: "::ffff:1.1.1.1", family: .ipv6), SocketAddress(address: "1.1.1.10"))
        #expect(mapped.check("1.1.1.5") && mapped.check("::ffff:1.1.1.5", family: .ipv6))
        #expect(!mapped.check("1.1.1.11") && !mapped.check("::1", family: .ipv6))

        let address = BlockList()
        try address.addAddress("1.2.3.4")
        #expect(address.check("::ffff:1.2.3.4", family: .ipv6))
        #expect(!address.check("::1.2.3.4", family: .ipv6))  // IPv4-compatible is not mapped
    }

    @Test func rejectsARangeThatStartsAfterItsEnd() {
        let list = BlockList()
        let error = #expect(throws: NetError.self) { try list.addRange("1.1.1.2", "1.1.1.1") }
        #expect(error?.code == .ERR_INVALID_ARG_VALUE)
        #expect(
            error?.message
                == "The argument 'start' must come before end. Received SocketAddress { address: '1.1.1.2', port: 0, family: 'ipv4', flowlabel: 0 }"
        )
        #expect(throws: NetError.self) {
            try list.addRange(SocketAddress(address: "1.1.1.10"), SocketAddress(address: "::ffff:1.1.1.1", family: .ipv6))
        }
        #expect(list.rules.isEmpty)
    }

    @Test(arguments: [(-1, SocketAddress.Family.ipv4, 32), (33, .ipv4, 32), (-1, .ipv6, 128), (129, .ipv6, 128)])
    func rejectsPrefixesOutsideTheFamilysWidth(_ prefix: Int, _ family: SocketAddress.Family, _ maximum: Int) {
        let list = BlockList()
        let network = family == .ipv4 ? "1.1.1.1" : "::"
        let error = #expect(throws: NetError.self) { try list.addSubnet(network, prefix: prefix, family: family) }
        #expect(error?.code == .ERR_OUT_OF_RANGE)
        #expect(
            error?.message
                == "The value of \"prefix\" is out of range. It must be >= 0 && <= \(maximum). Received \(prefix)")
        #expect(list.rules.isEmpty)
    }

    @Test func rejectsInvalidAddressesWhenAddingButNotWhenChecking() {
        let list = BlockList()
        for add in [
            { try list.addAddress("foo") }, { try list.addAddress("1.2.3.4", family: .ipv6) },
            { try list.addRange("1.2.3.4", "::1", family: .ipv6) }, { try list.addRange("1.2.3.4", "x") },
            { try list.addSubnet("::", prefix: 64) }, { try list.addSubnet("", prefix: 99) },
        ] as [() throws -> Void] {
            let error = #expect(throws: NetError.self) { try add() }
            #expect(error?.code == .ERR_INVALID_ADDRESS)
            #expect(error?.message == "Invalid socket address")
        }
        #expect(list.rules.isEmpty)
        #expect(!list.check("foo"))
        #expect(!list.check("", family: .ipv6))
    }

    @Test func isBlockListRecognisesOnlyBlockLists() throws {
        #expect(BlockList.isBlockList(BlockList()))
        for value: Any in [1, "string", [String](), try SocketAddress(), NSObject(), Optional<Int>.none as Any] {
            #expect(!BlockList.isBlockList(value))
        }
    }

    // Outputs of Node 20's util.inspect(blockList).
    @Test func describesItselfAsNodeInspects() throws {
        let list = BlockList()
        #expect(list.description == "BlockList { rules: [] }")
        try list.addAddress("1.1.1.1")
        #expect(list.description == "BlockList { rules: [ 'Address: IPv4 1.1.1.1' ] }")
        try list.addAddress("2.2.2.2")
        #expect(list.description == "BlockList { rules: [ 'Address: IPv4 2.2.2.2', 'Address: IPv4 1.1.1.1' ] }")
        try list.addAddress("3.3.3.3")
        #expect(
            list.description
                == "BlockList {\n  rules: [\n    'Address: IPv4 3.3.3.3',\n    'Address: IPv4 2.2.2.2',\n    'Address: IPv4 1.1.1.1'\n  ]\n}"
        )
    }

    @Test func isSafeToShareAcrossThreads() async throws {
        let list = BlockList()
        try list.addAddress("10.0.0.1")
        let hits = await withTaskGroup(of: Int.self) { group in
            for writer in 0..<4 {
                group.addTask {
                    for i in 0..<250 { try? list.addAddress("192.168.\(writer).\(i)") }
                    return 0
                }
            }
            for _ in 0..<4 {
                group.addTask {
                    var hits = 0
                    for _ in 0..<250 where list.check("10.0.0.1") && !list.check("10.0.0.2") { hits += 1 }
                    _ = list.rules.count
                    return hits
                }
            }
            return await group.reduce(0, +)
        }
        #expect(hits == 1000)
        #expect(list.rules.count == 1001)
        #expect(list.check("192.168.3.249"))
    }
}
