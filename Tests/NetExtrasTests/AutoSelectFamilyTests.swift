import Testing
import NetCore
import NetExtras

/// Node's address ordering for happy eyeballs, and the strategy's defaults and choice.
@Suite struct AutoSelectFamilyTests {
    func a(_ address: String, _ family: Int) -> LookupAddress { LookupAddress(address: address, family: family) }

    // node: test/parallel/test-net-autoselectfamily.js — six answers, IPv6 first, are tried
    // alternating families in the resolver's order within each family.
    @Test func interleavesStartingWithTheFirstAnswersFamily() {
        let answers = [a("::ffff:127.0.0.2", 6), a("::ffff:127.0.0.3", 6), a("::1", 6),
                       a("127.0.0.2", 4), a("127.0.0.3", 4), a("127.0.0.1", 4)]
        #expect(AddressOrder.interleave(answers).map(\.address) == [
            "::ffff:127.0.0.2", "127.0.0.2", "::ffff:127.0.0.3", "127.0.0.3", "::1", "127.0.0.1",
        ])
    }

    // node: test/parallel/test-net-autoselectfamily-ipv4first.js — an A record first makes
    // IPv4 the preferred family.
    @Test func ipv4FirstPrefersIPv4() {
        #expect(AddressOrder.interleave([a("127.0.0.1", 4), a("::1", 6)]).map(\.address) == ["127.0.0.1", "::1"])
        #expect(AddressOrder.interleave([a("127.0.0.1", 4), a("127.0.0.2", 4), a("::1", 6)]).map(\.address)
                == ["127.0.0.1", "::1", "127.0.0.2"])
    }

    // node: lib/net.js lookupAndConnectMultiple — invalid IPs and families are dropped (the
    // first valid answer sets the preference), and an address is tried once per family.
    @Test func dropsInvalidAnswersAndDuplicates() {
        let answers = [a("bogus", 6), a("127.0.0.1", 5), a("127.0.0.1", 4), a("::1", 6),
                       a("127.0.0.1", 4), a("::1", 6), a("1.2.3", 4)]
        #expect(AddressOrder.interleave(answers) == [a("127.0.0.1", 4), a("::1", 6)])
        #expect(AddressOrder.interleave([a("bogus", 4), a("10.0.0.1", 0)]).isEmpty)
        #expect(AddressOrder.interleave([]).isEmpty)
    }

    // node: test/parallel/test-net-autoselectfamily-attempt-timeout-default-value.js and
    // test-net-socket-connect-invalid-autoselectfamilyattempttimeout.js — 250 by default,
    // 1…9 become 10, 0 and negatives are out of range (Node's text, checked with node 20).
    @Test func attemptTimeoutDefaultAndValidation() throws {
        let s = AutoSelectFamily()
        #expect(s.defaultEnabled)
        #expect(s.defaultAttemptTimeout == 250)
        for (value, stored) in [(1, 10), (9, 10), (10, 10), (11, 11), (2_147_483_647, 2_147_483_647)] {
            try s.setDefaultAttemptTimeout(value)
            #expect(s.defaultAttemptTimeout == stored)
        }
        for (value, shown) in [(-10, "-10"), (0, "0"), (2_147_483_648, "2147483648"), (5_000_000_000, "5_000_000_000")] {
            #expect(throws: NetError.outOfRange("value", range: ">= 1 && <= 2147483647", received: shown)) {
                try s.setDefaultAttemptTimeout(value)
            }
        }
        #expect(s.defaultAttemptTimeout == 2_147_483_647)
        let e = NetError.outOfRange("value", range: ">= 1 && <= 2147483647", received: "0")
        #expect(e.message == "The value of \"value\" is out of range. It must be >= 1 && <= 2147483647. Received 0")
        #expect(e.name == "RangeError")
    }

    // node: lib/net.js lookupAndConnect — happy eyeballs only for family 0 without a local
    // address, when the option (else the default) asks for it.
    @Test func handlesOnlyWhatNodeHandsToHappyEyeballs() {
        let s = AutoSelectFamily()
        var o = SocketConnectOptions(port: 80, host: "example.test")
        #expect(s.handles(o))
        o.family = 4
        #expect(!s.handles(o))
        o.family = 6
        #expect(!s.handles(o))
        o.family = 0
        o.localAddress = "127.0.0.1"
        #expect(!s.handles(o))
        o.localAddress = nil
        o.localPort = 5000
        #expect(s.handles(o))
        o.autoSelectFamily = false
        #expect(!s.handles(o))
        s.defaultEnabled = false
        o.autoSelectFamily = nil
        #expect(!s.handles(o))
        o.autoSelectFamily = true
        #expect(s.handles(o))
    }
}
