import Testing
import NetCore
@testable import NetExtras

/// Every invalid value a Swift caller can give `SocketAddress` and `BlockList` throws a
/// `NetError` with Node's code; checks of bad text answer `false`; nothing traps.
@Suite struct ExtrasBadInputTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let code: NetError.Code
        let call: @Sendable () throws(NetError) -> Void
        var testDescription: String { name }
    }

    static let cases: [Case] = {
        var cases: [Case] = []
        func add(_ name: String, _ code: NetError.Code, _ call: @escaping @Sendable () throws(NetError) -> Void) {
            cases.append(Case(name: name, code: code, call: call))
        }
        for p in [-1, 65536, Int.max, Int.min] {
            add("SocketAddress(port: \(p))", .ERR_SOCKET_BAD_PORT) { () throws(NetError) in _ = try SocketAddress(port: p) }
        }
        for f in [-1, Int(UInt32.max) + 1, Int.max, Int.min] {
            add("SocketAddress(flowlabel: \(f))", .ERR_OUT_OF_RANGE) { () throws(NetError) in
                _ = try SocketAddress(family: .ipv6, flowlabel: f)
            }
        }
        add("SocketAddress ipv6 flowlabel 0x100000", .ERR_OUT_OF_RANGE) { () throws(NetError) in
            _ = try SocketAddress(family: .ipv6, flowlabel: 0x100000)
        }
        let junk = ["", "junk", "1.2.3", "1.2.3.4.5", "256.1.1.1", "::g", ":::", "1::2::3", "[::1]", "\u{0}",
                    "127.0.0.1/8", " 127.0.0.1", String(repeating: "1", count: 10_000)]
        for text in junk {
            for family in SocketAddress.Family.allCases {
                add("SocketAddress(\(text.prefix(20).debugDescription), \(family))", .ERR_INVALID_ADDRESS) { () throws(NetError) in
                    _ = try SocketAddress(address: text, family: family)
                }
                add("addAddress(\(text.prefix(20).debugDescription), \(family))", .ERR_INVALID_ADDRESS) { () throws(NetError) in
                    try BlockList().addAddress(text, family: family)
                }
                add("addSubnet(\(text.prefix(20).debugDescription), \(family))", .ERR_INVALID_ADDRESS) { () throws(NetError) in
                    try BlockList().addSubnet(text, prefix: 8, family: family)
                }
                add("addRange(\(text.prefix(20).debugDescription)…, \(family))", .ERR_INVALID_ADDRESS) { () throws(NetError) in
                    try BlockList().addRange(text, family == .ipv4 ? "1.1.1.1" : "::1", family: family)
                }
            }
        }
        add("SocketAddress(\"::1\", ipv4)", .ERR_INVALID_ADDRESS) { () throws(NetError) in _ = try SocketAddress(address: "::1") }
        add("SocketAddress(\"1.2.3.4\", ipv6)", .ERR_INVALID_ADDRESS) { () throws(NetError) in
            _ = try SocketAddress(address: "1.2.3.4", family: .ipv6)
        }
        for name in ["", "ipv5", "inet", "4", "IPv4 "] {
            add("Family(validating: \(name.debugDescription))", .ERR_INVALID_ARG_VALUE) { () throws(NetError) in
                _ = try SocketAddress.Family(validating: name)
            }
        }
        for prefix in [-1, 33, Int.max, Int.min] {
            add("addSubnet ipv4 prefix \(prefix)", .ERR_OUT_OF_RANGE) { () throws(NetError) in
                try BlockList().addSubnet("10.0.0.0", prefix: prefix)
            }
        }
        for prefix in [-1, 129, Int.max, Int.min] {
            add("addSubnet ipv6 prefix \(prefix)", .ERR_OUT_OF_RANGE) { () throws(NetError) in
                try BlockList().addSubnet("::", prefix: prefix, family: .ipv6)
            }
        }
        add("addRange backwards ipv4", .ERR_INVALID_ARG_VALUE) { () throws(NetError) in
            try BlockList().addRange("10.0.0.2", "10.0.0.1")
        }
        add("addRange backwards ipv6", .ERR_INVALID_ARG_VALUE) { () throws(NetError) in
            try BlockList().addRange("::2", "::1", family: .ipv6)
        }
        add("addRange end not an address", .ERR_INVALID_ADDRESS) { () throws(NetError) in
            try BlockList().addRange("10.0.0.1", "junk")
        }
        return cases
    }()

    @Test(arguments: cases)
    func invalidValuesThrowNodesCode(_ c: Case) {
        do throws(NetError) {
            try c.call()
            Issue.record("\(c.name) did not throw")
        } catch {
            #expect(error.code == c.code, "\(c.name): \(error)")
            #expect(!error.message.isEmpty)
        }
    }

    // Checks and parses of junk answer false or nil, whatever the text.
    @Test func junkIsNeverBlockedNorParsed() throws {
        let list = BlockList()
        try list.addSubnet("0.0.0.0", prefix: 0)
        try list.addSubnet("::", prefix: 0, family: .ipv6)
        for text in ["", "junk", "1.2.3", "::g", "\u{0}", "[::1]:80", String(repeating: ":", count: 5000)] {
            #expect(!list.check(text))
            #expect(!list.check(text, family: .ipv6))
            #expect(isIP(text) == 0)
        }
        for text in ["", ":", "[", "]:", "[::1", "1.2.3.4:65536", "1.2.3.4:-1", "[::1]:99999999999999999999", "%", "\u{0}:1"] {
            #expect(SocketAddress.parse(text) == nil, "\(text.debugDescription)")
        }
    }
}
