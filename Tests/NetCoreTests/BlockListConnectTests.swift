import Testing
@testable import NetCore
import Net

/// `blockList` on both ends (Node ≥ 23.4): connects refuse blocked addresses with
/// `ERR_IP_BLOCKED`, servers close blocked peers before any 'connection'.
@Suite struct BlockListConnectTests {
    typealias HE = HappyEyeballsSocketTests

    static func blocking(_ addresses: String...) -> BlockList {
        let list = BlockList()
        for a in addresses { try? list.addAddress(a, family: a.contains(":") ? .ipv6 : .ipv4) }
        return list
    }

    // node: test/parallel/test-net-blocklist.js — "connect without calling dns.lookup": an IP
    // literal is refused after 'connectionAttempt', with Node's text; 'close' has hadError.
    @Test func blockedLiteral() {
        let log = Log()
        withLoop { loop in
            var o = SocketConnectOptions(port: 9999, host: "127.0.0.1")
            o.blockList = Self.blocking("127.0.0.1", "127.0.0.2")
            HE.start(o, loop: loop, port: 9999, log: log)
        }
        #expect(log.entries == [
            "attempt 127.0.0.1:P 4",
            "error Error ERR_IP_BLOCKED IP(127.0.0.1) is blocked by net.BlockList", "close true",
        ])
    }

    // node: test/parallel/test-net-blocklist.js — "single IP returned by dns.lookup" with
    // autoSelectFamily off, and "autoSelectFamily and single IP".
    @Test(arguments: [false, true])
    func blockedSingleLookupResult(autoSelect: Bool) {
        let log = Log()
        withLoop { loop in
            var o = SocketConnectOptions(port: 9999, host: "localhost")
            o.lookup = fixedLookup([("127.0.0.1", 4)])
            o.autoSelectFamily = autoSelect
            o.blockList = Self.blocking("127.0.0.1", "127.0.0.2")
            HE.start(o, loop: loop, port: 9999, log: log)
        }
        #expect(log.entries == [
            "lookup - 127.0.0.1 4", "attempt 127.0.0.1:P 4",
            "error Error ERR_IP_BLOCKED IP(127.0.0.1) is blocked by net.BlockList", "close true",
        ])
    }

    // node: test/parallel/test-net-blocklist.js — "autoSelectFamily and multiple IPs": each
    // blocked address is a failed attempt (no 'connectionAttempt', nothing attempted), and the
    // aggregate's code is ERR_IP_BLOCKED.
    @Test func everyAddressBlocked() throws {
        let log = Log()
        var error: NetError?
        var attempted: [String]?
        withLoop { loop in
            var o = HE.options(9999, [("127.0.0.1", 4), ("127.0.0.2", 4)])
            o.blockList = Self.blocking("127.0.0.1", "127.0.0.2")
            let s = HE.start(o, loop: loop, port: 9999, log: log)
            s.on(.error) { error = $0; attempted = s.autoSelectFamilyAttemptedAddresses }
        }
        let e = try #require(error)
        #expect(e.code == .ERR_IP_BLOCKED && e.name == "AggregateError")
        #expect(e.errors.map(\.message) == ["IP(127.0.0.1) is blocked by net.BlockList", "IP(127.0.0.2) is blocked by net.BlockList"])
        #expect(attempted == [])
        #expect(log.entries.filter { $0.hasPrefix("attempt") }.isEmpty)
    }

    // Beyond Node's test: a blocked address is skipped and the next one connects; the
    // IPv4-mapped form of a blocked IPv4 address is blocked too.
    @Test func blockedAddressesAreSkipped() {
        let log = Log()
        var attempted: [String]?
        var remote: String?
        withLoop { loop in
            let server = Net.createServer(loop: loop) { $0.end() }
            listenLocal(server) { p in
                var o = HE.options(p, [("::ffff:127.0.0.2", 6), ("127.0.0.2", 4), ("127.0.0.1", 4)])
                o.blockList = Self.blocking("127.0.0.2")
                let s = HE.start(o, loop: loop, port: p, log: log)
                s.on(.connect) {
                    attempted = s.autoSelectFamilyAttemptedAddresses
                    remote = s.remoteAddress
                    server.close()
                }
                s.resume()
            }
        }
        #expect(remote == "127.0.0.1")
        #expect(attempted?.count == 1)
        #expect(log.entries.dropFirst(3).prefix(4) == [
            "failed ::ffff:127.0.0.2:P 6 ERR_IP_BLOCKED IP(::ffff:127.0.0.2) is blocked by net.BlockList",
            "failed 127.0.0.2:P 4 ERR_IP_BLOCKED IP(127.0.0.2) is blocked by net.BlockList",
            "attempt 127.0.0.1:P 4", "connect",
        ])
    }

    // A block list that does not list the address lets the connect through.
    @Test func unlistedAddressConnects() {
        var connected = false
        withLoop { loop in
            let server = Net.createServer(loop: loop) { $0.end() }
            listenLocal(server) { p in
                var o = SocketConnectOptions(port: p, host: "127.0.0.1")
                o.blockList = Self.blocking("127.0.0.2", "::1")
                let s = HE.start(o, loop: loop, port: p, log: Log())
                s.on(.connect) { connected = true; server.close() }
                s.resume()
            }
        }
        #expect(connected)
    }

    // node: test/parallel/test-net-server-blocklist.js — a peer from a blocked address is
    // closed before any 'connection' and the client sees 'close'; beyond Node's test, a peer
    // from another address is accepted by the same server.
    @Test func serverClosesBlockedPeersOnly() {
        let log = Log()
        withLoop { loop in
            let options = ServerOptions(blockList: Self.blocking("127.0.0.1"))
            let server = Net.createServer(options, loop: loop) { socket in
                log("connection from \(socket.remoteAddress ?? "?")")
                socket.end()
            }
            listenLocal(server) { p in
                var blocked = SocketConnectOptions(port: p, host: "127.0.0.1")
                blocked.localAddress = "127.0.0.1"
                let b = HE.start(blocked, loop: loop, port: p, log: Log())
                b.resume()
                b.on(.close) { _ in
                    log("blocked client closed")
                    var allowed = SocketConnectOptions(port: p, host: "127.0.0.1")
                    allowed.localAddress = "127.0.0.2"
                    let a = HE.start(allowed, loop: loop, port: p, log: Log())
                    a.resume()
                    a.on(.close) { _ in
                        log("allowed client closed")
                        server.close()
                    }
                }
            }
        }
        #expect(log.entries == ["blocked client closed", "connection from 127.0.0.2", "allowed client closed"])
    }
}
