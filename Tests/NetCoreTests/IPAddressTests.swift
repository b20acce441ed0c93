// NetCore's `IPAddress`: the value connect, listen, lookup checks, accept and address filters
// share. Parsing follows Node's `net.isIP`; printing follows what Node prints for an address;
// socket addresses convert on the bits, without text.
import CMallocCounter
import Testing
@testable import NetCore
import Net
#if canImport(Glibc)
import Glibc
#endif

@Suite struct IPAddressTests {
    @Test(arguments: [
        ("127.0.0.1", "127.0.0.1"), ("0.0.0.0", "0.0.0.0"), ("::", "::"), ("::1", "::1"),
        ("FE80::ABCD", "fe80::abcd"), ("2001:0db8:0000:0000:0000:0000:1428:57ab", "2001:db8::1428:57ab"),
        ("::ffff:c000:201", "::ffff:192.0.2.1"), ("::c000:201", "::192.0.2.1"),
        ("1:0:0:2:0:0:0:3", "1:0:0:2::3"), ("1:0:2:0:3:0:4:0", "1:0:2:0:3:0:4:0"),
        ("fe80::1%eth0", "fe80::1%eth0"), ("1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"),
    ])
    func printsAsNodeDoes(_ input: String, _ printed: String) throws {
        let a = try #require(IPAddress(input))
        #expect(a.description == printed)
        #expect(IPAddress(printed) == a)
    }

    @Test func familiesAndParts() throws {
        let v4 = try #require(IPAddress("1.2.3.4"))
        #expect(v4.family == 4 && v4.isIPv4 && !v4.isIPv6 && v4.ipv4Value == 0x0102_0304 && v4.zone == nil)
        let mapped = try #require(IPAddress("::ffff:1.2.3.4"))
        #expect(mapped.family == 6 && mapped.isIPv4Mapped && mapped.ipv4Value == 0x0102_0304)
        #expect(mapped != v4)
        #expect(IPAddress.anyIPv4.description == "0.0.0.0" && IPAddress.anyIPv6.description == "::")
        #expect(IPAddress(ipv6High: 0x2001_0db8_0000_0000, low: 1).description == "2001:db8::1")
    }

    @Test func socketAddressesConvertBothWays() throws {
        let v4 = try #require(IPAddress("192.0.2.1"))
        let sin = v4.sockaddrIn(port: 8080)
        #expect(UInt16(bigEndian: sin.sin_port) == 8080)
        #expect(IPAddress(sin) == v4)
        let v6 = try #require(IPAddress("2001:db8::1:2"))
        let sin6 = v6.sockaddrIn6(port: 443)
        #expect(UInt16(bigEndian: sin6.sin6_port) == 443 && sin6.sin6_scope_id == 0)
        #expect(IPAddress(sin6) == v6)
        // Through the generic pointer, as accept and lookups read them.
        for (a, port) in [(v4, 1), (v6, 65535)] {
            let endpoint = a.withSockaddr(port: port) { IPAddress.endpoint($0) }
            #expect(endpoint?.address == a && endpoint?.port == port)
        }
        // An IPv4 value in an IPv6 socket address is its ::ffff: form.
        #expect(IPAddress(v4.sockaddrIn6(port: 0)).description == "::ffff:192.0.2.1")
    }

    @Test func zonesBecomeScopeIDsAsLibuvFindsThem() throws {
        let lo = try #require(IPAddress("fe80::1%lo"))
        let sin6 = lo.sockaddrIn6(port: 0)
        #expect(sin6.sin6_scope_id == if_nametoindex("lo"))
        #expect(IPAddress(sin6) == lo)
        // An unknown interface is scope 0, as `uv_ip6_addr` leaves it.
        let unknown = try #require(IPAddress("fe80::1%nosuchif0"))
        #expect(unknown.sockaddrIn6(port: 0).sin6_scope_id == 0)
        #expect(AddressInfo(lo, port: 1).address == "fe80::1")
    }
}

@Suite struct IPAddressAllocationTests {
    // Parsing without a zone, the isIP scan, socket address conversion and a BlockList check
    // allocate nothing (the zone id, when kept, and printing make the only strings).
    @Test func parsingConvertingAndCheckingAllocateNothing() throws {
        guard cmc_counting_enabled() != 0 else { return }
        // Zone-less texts only: a kept zone id is a string of its own.
        let texts = ["127.0.0.1", "2001:0db8:0000:0000:0000:0000:1428:57ab", "::ffff:192.0.2.1",
                     "01.2.3.4", "fe80::1%", "not an address at all"].map { String($0) }
        let list = BlockList()
        try list.addSubnet("10.0.0.0", prefix: 8)
        try list.addRange("2001:db8::", "2001:db8::ffff", family: .ipv6)
        var sum = 0
        var before: UInt64 = 0
        for iteration in 0..<1001 {
            if iteration == 1 { before = cmc_thread_allocations() }
            var i = 0
            while i < texts.count {
                let t = texts[i]
                i += 1
                sum += IPAddress.family(of: t)
                guard let a = IPAddress(t) else { continue }
                sum += a.withSockaddr(port: 80) { IPAddress.endpoint($0)?.port ?? 0 }
                if list.check(a) { sum += 1 }
            }
        }
        #expect(cmc_thread_allocations() - before == 0)
        #expect(sum > 0)
    }
}

/// A filter that records what it is asked and refuses nothing.
final class RecordingFilter: AddressFilter, @unchecked Sendable {
    // @unchecked: used on one loop thread only within a test.
    var seen: [IPAddress] = []
    func blocks(_ address: IPAddress) -> Bool {
        seen.append(address)
        return false
    }
}

@Suite struct AddressFilterValueTests {
    // The filter gets values: on connect the target parsed once from the literal's text, on
    // accept the peer's address read from its socket address.
    @Test func filtersReceiveParsedValuesOnConnectAndAccept() throws {
        let serverFilter = RecordingFilter()
        let clientFilter = RecordingFilter()
        var connected = false
        withLoop { loop in
            let server = Net.createServer(ServerOptions(blockList: serverFilter), loop: loop) { socket in
                socket.end()
            }
            listenLocal(server) { port in
                var o = SocketConnectOptions(port: port, host: "127.0.0.1")
                o.blockList = clientFilter
                let s = Socket(loop: loop)
                s.on(.connect) { connected = true }
                s.on(.close) { _ in server.close() }
                s.resume()
                do { try s.connect(o) } catch { Issue.record("connect threw \(error)") }
            }
        }
        #expect(connected)
        #expect(clientFilter.seen == [IPAddress(ipv4: 0x7F00_0001)])
        #expect(serverFilter.seen == [IPAddress(ipv4: 0x7F00_0001)])
    }
}
