import Testing
@testable import NetCore
import Net

/// The custom `lookup` option and the checks Node makes of its answers, with and without
/// happy eyeballs. Every lookup here is a custom one: no DNS server is asked.
@Suite struct ConnectLookupTests {
    typealias HE = HappyEyeballsSocketTests

    // node: test/parallel/test-net-dns-custom-lookup.js — the custom lookup's answer is what
    // 'lookup' reports and what is connected to, for IPv4 and IPv6.
    @Test(arguments: [("127.0.0.1", 4), ("::1", 6)])
    func customLookupAnswerIsConnectedTo(address: String, family: Int) {
        let log = Log()
        var remote: String?
        withLoop { loop in
            let server = Net.createServer(loop: loop) { $0.end() }
            listenLocal(server, host: address, port: 0) { p in
                var o = SocketConnectOptions(port: p, host: "localhost")
                o.lookup = fixedLookup([(address, family)])
                let s = HE.start(o, loop: loop, port: p, log: log)
                s.on(.connect) {
                    remote = s.remoteAddress
                    server.close()
                }
                s.resume()
            }
        }
        #expect(remote == address)
        #expect(log.entries.prefix(3) == ["lookup - \(address) \(family)", "attempt \(address):P \(family)", "connect"])
    }

    // node: lib/net.js lookupAndConnect — what a custom lookup is asked (checked with node 20):
    // happy eyeballs asks for every address with AI_ADDRCONFIG; without it, one address; a
    // family given asks for that family with no hints; a localAddress turns happy eyeballs off;
    // caller hints are kept.
    @Test func lookupIsAskedWhatNodeAsks() {
        let seen = Log()
        withLoop { loop in
            _ = Net.getDefaultAutoSelectFamily()
            func go(_ change: (inout SocketConnectOptions) -> Void) {
                var o = SocketConnectOptions(port: 1, host: "nowhere.test")
                o.lookup = fixedLookup([("127.0.0.1", 4)], seen: seen)
                o.autoSelectFamily = true
                change(&o)
                let s = Socket(loop: loop)
                s.on(.error) { _ in }
                _ = try? s.connect(o)
                s.destroy()
            }
            go { _ in }
            go { $0.autoSelectFamily = false }
            go { $0.family = 4 }
            go { $0.family = 6; $0.hints = 1024 }
            go { $0.localAddress = "127.0.0.1" }
            go { $0.hints = 1024 }
        }
        #expect(seen.entries == [
            "nowhere.test family=0 hints=32 all=true",
            "nowhere.test family=0 hints=32 all=false",
            "nowhere.test family=4 hints=0 all=false",
            "nowhere.test family=6 hints=1024 all=false",
            "nowhere.test family=0 hints=32 all=false",
            "nowhere.test family=0 hints=1024 all=true",
        ])
    }

    // node: lib/net.js lookupAndConnectMultiple and lookupAndConnect — answers that are not IP
    // addresses or have a family other than 4 or 6: 'lookup' for each, then the first
    // answer's problem with Node's text (checked with node 20), then 'close' with hadError on
    // the next turn of the loop (as Node's handle closes), so both errors come first.
    @Test(arguments: [true, false])
    func badAnswersFailWithNodesErrors(autoSelect: Bool) {
        let log = Log()
        withLoop { loop in
            for answers in [[("bogus", 4), ("127.0.0.1", 5)], [("127.0.0.1", 5)]] {
                var o = SocketConnectOptions(port: 1, host: "nowhere.test")
                o.lookup = fixedLookup(answers)
                o.autoSelectFamily = autoSelect
                HE.start(o, loop: loop, port: 1, log: log)
            }
        }
        let first = autoSelect ? ["lookup - bogus 4", "lookup - 127.0.0.1 5"] : ["lookup - bogus 4"]
        #expect(log.entries == first + [
            "lookup - 127.0.0.1 5",
            "error TypeError ERR_INVALID_IP_ADDRESS Invalid IP address: bogus",
            "error RangeError ERR_INVALID_ADDRESS_FAMILY Invalid address family: 5 nowhere.test:P",
            "close true", "close true",
        ])
    }

    // node: test/parallel/test-net-better-error-messages-port-hostname.js and
    // test-net-dns-error.js — a lookup failure (an ENOTFOUND-shaped error from a custom lookup)
    // arrives as the 'lookup' error and then 'error' unchanged, then 'close' with hadError.
    @Test(arguments: [true, false])
    func lookupFailureIsTheError(autoSelect: Bool) throws {
        let log = Log()
        var error: NetError?
        withLoop { loop in
            var o = SocketConnectOptions(port: 8124, host: "dont-exist.test")
            o.lookup = notFoundLookup()
            o.autoSelectFamily = autoSelect
            HE.start(o, loop: loop, port: 8124, log: log).on(.error) { error = $0 }
        }
        let e = try #require(error)
        #expect(e.code == .ENOTFOUND)
        #expect(e.hostname == "dont-exist.test")
        #expect(e.syscall == "getaddrinfo")
        #expect(e.message == "getaddrinfo ENOTFOUND dont-exist.test")
        #expect(log.entries == [
            "lookup ENOTFOUND - -", "error Error ENOTFOUND getaddrinfo ENOTFOUND dont-exist.test", "close true",
        ])
    }

    // node: test/parallel/test-net-options-lookup.js — a lookup function is accepted as is
    // (one that never answers leaves the socket connecting until destroyed).
    @Test func lookupThatNeverAnswersLeavesTheSocketConnecting() {
        let log = Log()
        var state = ""
        withLoop { loop in
            var o = SocketConnectOptions(port: 1, host: "nowhere.test")
            o.lookup = { _, _, _ in }
            let s = HE.start(o, loop: loop, port: 1, log: log)
            state = s.readyState
            loop.setTimeout(20) { s.destroy() }
        }
        #expect(state == "opening")
        #expect(log.entries == ["close false"])
    }

    // node: test/parallel/test-net-dns-lookup-skip.js — an IP literal is not looked up, and
    // 'connectionAttempt' comes on a later tick (a listener added after connect sees it).
    @Test func ipLiteralIsNotLookedUp() {
        let log = Log()
        withLoop { loop in
            var o = SocketConnectOptions(port: closedPort(), host: "127.0.0.1")
            o.lookup = { host, _, _ in log("looked up \(host)") }
            _ = Net.getDefaultAutoSelectFamily()
            let s = Socket(loop: loop)
            _ = try? s.connect(o)
            s.on(.connectionAttempt) { e in log("attempt \(e.address) \(e.family)") }
            s.on(.error) { e in log("error \(e.code)") }
        }
        #expect(log.entries == ["attempt 127.0.0.1 4", "error ECONNREFUSED"])
    }

    // node: test/parallel/test-net-socket-connect-invalid-autoselectfamilyattempttimeout.js —
    // 0 and negative attempt timeouts throw ERR_OUT_OF_RANGE from connect, whatever the host
    // and autoSelectFamily (Node's text, checked with node 20).
    @Test func badAttemptTimeoutsThrowFromConnect() {
        let loop = EventLoop()
        for (value, shown) in [(-10, "-10"), (0, "0"), (2_147_483_648, "2147483648"), (-5_000_000_000, "-5_000_000_000")] {
            for host in ["nowhere.test", "127.0.0.1"] {
                for auto in [true, false] {
                    var o = SocketConnectOptions(port: 8080, host: host)
                    o.autoSelectFamily = auto
                    o.autoSelectFamilyAttemptTimeout = value
                    do throws(NetError) {
                        try Socket(loop: loop).connect(o)
                        Issue.record("\(value) was accepted")
                    } catch {
                        #expect(error.code == .ERR_OUT_OF_RANGE)
                        #expect(error.name == "RangeError")
                        #expect(error.message == "The value of \"options.autoSelectFamilyAttemptTimeout\" is out of range. It must be >= 1 && <= 2147483647. Received \(shown)")
                    }
                }
            }
        }
        loop.run()
        #expect(loop.liveHandles == 0)
    }
}
