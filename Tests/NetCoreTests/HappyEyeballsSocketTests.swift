import Testing
@testable import NetCore
import Net

/// Happy eyeballs on real loopback sockets: custom lookups answer loopback addresses, closed
/// ports refuse, a full accept queue stands for an unreachable address.
@Suite struct HappyEyeballsSocketTests {
    /// A socket with its connect story logged, connected with `options` once Node's defaults
    /// are installed (any `Net.` call installs them).
    @discardableResult
    static func start(_ options: SocketConnectOptions, loop: EventLoop, port: Int, log: Log,
                      sourceLocation: SourceLocation = #_sourceLocation) -> Socket {
        _ = Net.getDefaultAutoSelectFamily()
        let s = Socket(options.socketOptions, loop: loop)
        recordConnect(s, port: port, into: log)
        do {
            try s.connect(options)
        } catch {
            Issue.record("connect threw \(error)", sourceLocation: sourceLocation)
        }
        return s
    }

    /// Options for host `nowhere.test` answered by `answers`, happy eyeballs asked for.
    static func options(_ port: Int, _ answers: [(String, Int)], loop: EventLoop? = nil, timeout: Int? = nil) -> SocketConnectOptions {
        var o = SocketConnectOptions(port: port, host: "nowhere.test")
        o.lookup = fixedLookup(answers, loop: loop)
        o.autoSelectFamily = true
        o.autoSelectFamilyAttemptTimeout = timeout
        return o
    }

    /// A server on `host` that answers the first chunk with `reply` and ends.
    static func replyServer(_ loop: EventLoop, _ reply: String, log: Log? = nil) -> Server {
        Net.createServer(loop: loop) { socket in
            socket.on(.data) { _ in
                log?("server \(reply)")
                socket.end(reply)
            }
        }
    }

    /// Sends a request on connect and collects the reply; closes `servers` at the end.
    static func exchange(_ s: Socket, closing servers: [Server], into reply: @escaping (String) -> Void) {
        s.setEncoding(.utf8)
        var text = ""
        s.on(.text) { text += $0 }
        s.on(.end) {
            reply(text)
            for server in servers { server.close() }
        }
        s.write("request")
    }

    // node: test/parallel/test-net-autoselectfamily.js — "IPV4 is reached if IPV6 is not
    // reachable": ::1 refuses, 127.0.0.1 answers; both were attempted, in that order.
    @Test func refusedIPv6FallsBackToIPv4() {
        let log = Log()
        var reply = ""
        var attempted: [String]?
        var port = 0
        withLoop { loop in
            let server = Self.replyServer(loop, "response-ipv4")
            listenLocal(server) { p in
                port = p
                let s = Self.start(Self.options(p, [("::1", 6), ("127.0.0.1", 4)], loop: loop), loop: loop, port: p, log: log)
                s.on(.ready) { attempted = s.autoSelectFamilyAttemptedAddresses }
                Self.exchange(s, closing: [server]) { reply = $0 }
            }
        }
        #expect(reply == "response-ipv4")
        #expect(attempted == ["::1:\(port)", "127.0.0.1:\(port)"])
        #expect(log.entries == [
            "lookup - ::1 6", "lookup - 127.0.0.1 4",
            "attempt ::1:P 6", "failed ::1:P 6 ECONNREFUSED connect ECONNREFUSED ::1:P",
            "attempt 127.0.0.1:P 4", "connect", "close false",
        ])
    }

    // node: test/parallel/test-net-autoselectfamily.js — "only the last successful connection
    // is established": six answers are tried alternating families; loopback stand-ins
    // (::ffff:127.0.0.x, 127.0.0.x with nothing listening) replace Node's public addresses.
    @Test func sixAddressesAreTriedAlternatingFamilies() {
        var attempted: [String]?
        var reply = ""
        var port = 0
        withLoop { loop in
            let server = Self.replyServer(loop, "response-ipv4")
            listenLocal(server) { p in
                port = p
                let answers = [("::ffff:127.0.0.2", 6), ("::ffff:127.0.0.3", 6), ("::1", 6),
                               ("127.0.0.2", 4), ("127.0.0.3", 4), ("127.0.0.1", 4)]
                let s = Self.start(Self.options(p, answers), loop: loop, port: p, log: Log())
                s.on(.ready) { attempted = s.autoSelectFamilyAttemptedAddresses }
                Self.exchange(s, closing: [server]) { reply = $0 }
            }
        }
        #expect(reply == "response-ipv4")
        #expect(attempted == ["::ffff:127.0.0.2", "127.0.0.2", "::ffff:127.0.0.3", "127.0.0.3", "::1", "127.0.0.1"]
            .map { "\($0):\(port)" })
    }

    // node: test/parallel/test-net-autoselectfamily.js — "IPV4 is NOT reached if IPV6 is
    // reachable": only ::1 is attempted.
    @Test func reachableIPv6IsUsedAlone() {
        let log = Log()
        var reply = ""
        var attempted: [String]?
        withLoop { loop in
            let v4 = Self.replyServer(loop, "response-ipv4", log: log)
            let v6 = Self.replyServer(loop, "response-ipv6")
            listenLocal(v4) { p in
                listenLocal(v6, host: "::1", port: p) { _ in
                    let s = Self.start(Self.options(p, [("::1", 6), ("127.0.0.1", 4)]), loop: loop, port: p, log: log)
                    s.on(.ready) { attempted = s.autoSelectFamilyAttemptedAddresses }
                    Self.exchange(s, closing: [v4, v6]) { reply = $0 }
                }
            }
        }
        #expect(reply == "response-ipv6")
        #expect(attempted?.count == 1 && attempted?.first?.hasPrefix("::1:") == true)
        #expect(!log.entries.contains("server response-ipv4"))
    }

    // node: test/parallel/test-net-autoselectfamily-ipv4first.js — an A record first: IPv4 is
    // used and IPv6 never attempted.
    @Test func ipv4FirstIsUsedFirst() {
        var reply = ""
        var attempted: [String]?
        withLoop { loop in
            let v4 = Self.replyServer(loop, "response-ipv4")
            let v6 = Self.replyServer(loop, "response-ipv6")
            listenLocal(v4) { p in
                listenLocal(v6, host: "::1", port: p) { _ in
                    let s = Self.start(Self.options(p, [("127.0.0.1", 4), ("::1", 6)]), loop: loop, port: p, log: Log())
                    s.on(.ready) { attempted = s.autoSelectFamilyAttemptedAddresses }
                    Self.exchange(s, closing: [v4, v6]) { reply = $0 }
                }
            }
        }
        #expect(reply == "response-ipv4")
        #expect(attempted?.count == 1 && attempted?.first?.hasPrefix("127.0.0.1:") == true)
    }

    // node: test/parallel/test-net-autoselectfamily.js — "all errors are returned when no
    // connections succeeded": an AggregateError with both refusals, 'close' with hadError.
    @Test func allRefusedGiveAnAggregateError() throws {
        let log = Log()
        var error: NetError?
        var attempted: [String]?
        let port = closedPort()
        withLoop { loop in
            let s = Self.start(Self.options(port, [("::1", 6), ("127.0.0.1", 4)], loop: loop), loop: loop, port: port, log: log)
            s.on(.error) { error = $0; attempted = s.autoSelectFamilyAttemptedAddresses }
        }
        let e = try #require(error)
        #expect(e.name == "AggregateError")
        #expect(e.code == .ECONNREFUSED)
        #expect(e.errors.map(\.message) == ["connect ECONNREFUSED ::1:\(port)", "connect ECONNREFUSED 127.0.0.1:\(port)"])
        #expect(e.errors.map(\.address) == ["::1", "127.0.0.1"])
        #expect(attempted == ["::1:\(port)", "127.0.0.1:\(port)"])
        #expect(log.entries.suffix(3) == [
            "failed 127.0.0.1:P 4 ECONNREFUSED connect ECONNREFUSED 127.0.0.1:P",
            "error AggregateError ECONNREFUSED  [connect ECONNREFUSED ::1:P, connect ECONNREFUSED 127.0.0.1:P]",
            "close true",
        ])
    }

    // node: test/parallel/test-net-autoselectfamily.js — "the option can be disabled": the
    // first answer only, its plain error, no attempted list.
    @Test func disabledUsesTheFirstAddressOnly() throws {
        let log = Log()
        var attempted: [String]? = ["unset"]
        withLoop { loop in
            let server = Self.replyServer(loop, "response-ipv4")
            listenLocal(server) { p in
                var o = Self.options(p, [("::1", 6), ("127.0.0.1", 4)])
                o.autoSelectFamily = false
                let s = Self.start(o, loop: loop, port: p, log: log)
                s.on(.error) { _ in
                    attempted = s.autoSelectFamilyAttemptedAddresses
                    server.close()
                }
            }
        }
        #expect(attempted == nil)
        #expect(log.entries == [
            "lookup - ::1 6", "attempt ::1:P 6", "failed ::1:P 6 ECONNREFUSED connect ECONNREFUSED ::1:P",
            "error Error ECONNREFUSED connect ECONNREFUSED ::1:P", "close true",
        ])
    }

    // node: test/internet/test-net-autoselectfamily-events-timeout.js — an address that never
    // answers (here a full accept queue on loopback) times out after the attempt timeout:
    // 'connectionAttemptTimeout', then the next address; the abandoned attempt is closed (no
    // handle is left when the loop ends).
    @Test func unreachableAddressTimesOutAndTheNextWins() throws {
        let log = Log()
        var waited: UInt64 = 0
        var attempted: [String]?
        var port = 0
        var hole: RawListener?
        withLoop { loop in
            let server = Self.replyServer(loop, "ok")
            listenLocal(server) { p in
                port = p
                hole = RawListener(host: "127.0.0.2", port: p, full: true)
                guard hole != nil else { Issue.record("no black hole"); server.close(); return }
                let s = Self.start(Self.options(p, [("127.0.0.2", 4), ("::1", 6), ("127.0.0.1", 4)], loop: loop, timeout: 50),
                                   loop: loop, port: p, log: log)
                var started: UInt64 = 0
                s.on(.connectionAttempt) { e in if e.address == "127.0.0.2" { started = loop.now } }
                s.on(.connectionAttemptTimeout) { _ in waited = loop.now - started }
                s.on(.ready) { attempted = s.autoSelectFamilyAttemptedAddresses }
                Self.exchange(s, closing: [server]) { _ in }
            }
        }
        hole?.close()
        #expect(log.entries == [
            "lookup - 127.0.0.2 4", "lookup - ::1 6", "lookup - 127.0.0.1 4",
            "attempt 127.0.0.2:P 4", "timeout 127.0.0.2:P 4",
            "attempt ::1:P 6", "failed ::1:P 6 ECONNREFUSED connect ECONNREFUSED ::1:P",
            "attempt 127.0.0.1:P 4", "connect", "close false",
        ])
        #expect(waited >= 50 && waited < 1000)
        #expect(attempted == ["127.0.0.2", "::1", "127.0.0.1"].map { "\($0):\(port)" })
    }

    // node: lib/net.js lookupAndConnect — an attempt timeout under 10 counts as 10.
    @Test func attemptTimeoutsUnderTenCountAsTen() throws {
        var waited: UInt64 = 0
        var hole: RawListener?
        withLoop { loop in
            let server = Self.replyServer(loop, "ok")
            listenLocal(server) { p in
                hole = RawListener(host: "127.0.0.2", port: p, full: true)
                let s = Self.start(Self.options(p, [("127.0.0.2", 4), ("127.0.0.1", 4)], loop: loop, timeout: 1), loop: loop, port: p, log: Log())
                var started: UInt64 = 0
                s.on(.connectionAttempt) { e in if e.address == "127.0.0.2" { started = loop.now } }
                s.on(.connectionAttemptTimeout) { _ in waited = loop.now - started }
                Self.exchange(s, closing: [server]) { _ in }
            }
        }
        hole?.close()
        #expect(waited >= 10 && waited < 250)
    }

    // Destroying the socket during the attempts stops everything at once and silently: no
    // timeout, no further attempt, no error; 'close' without error; nothing left open (Node 20
    // throws from its next attempt here).
    @Test func destroyDuringAttemptsStopsSilently() {
        let log = Log()
        var hole: RawListener?
        withLoop { loop in
            let server = Net.createServer(loop: loop) { socket in
                log("server connection")
                socket.destroy()
            }
            listenLocal(server) { p in
                hole = RawListener(host: "127.0.0.2", port: p, full: true)
                let s = Self.start(Self.options(p, [("127.0.0.2", 4), ("127.0.0.1", 4)], loop: loop, timeout: 20), loop: loop, port: p, log: log)
                s.once(.connectionAttempt) { _ in s.destroy() }
                loop.setTimeout(100) { server.close() }
            }
        }
        hole?.close()
        #expect(log.entries == ["lookup - 127.0.0.2 4", "lookup - 127.0.0.1 4", "attempt 127.0.0.2:P 4", "close false"])
    }

    // The same from 'connectionAttemptFailed': the next address is not tried.
    @Test func destroyFromAFailedAttemptStopsTheSequence() {
        let log = Log()
        let port = closedPort()
        withLoop { loop in
            let s = Self.start(Self.options(port, [("::1", 6), ("127.0.0.1", 4)], loop: loop), loop: loop, port: port, log: log)
            s.once(.connectionAttemptFailed) { _ in s.destroy() }
        }
        #expect(log.entries == [
            "lookup - ::1 6", "lookup - 127.0.0.1 4", "attempt ::1:P 6",
            "failed ::1:P 6 ECONNREFUSED connect ECONNREFUSED ::1:P", "close false",
        ])
    }

    // Destroyed while the lookup runs: the answers are ignored (Node's `!self.connecting`).
    @Test func destroyDuringLookupIgnoresTheAnswers() {
        let log = Log()
        withLoop { loop in
            let s = Self.start(Self.options(1, [("::1", 6), ("127.0.0.1", 4)], loop: loop), loop: loop, port: 1, log: log)
            s.destroy()
        }
        #expect(log.entries == ["close false"])
    }

    // node: lib/net.js lookupAndConnectMultiple — one usable address (duplicates and invalid
    // answers dropped) is a plain connect: no attempted list.
    @Test func oneUsableAddressIsAPlainConnect() {
        let log = Log()
        var attempted: [String]? = ["unset"]
        withLoop { loop in
            let server = Self.replyServer(loop, "ok")
            listenLocal(server) { p in
                let s = Self.start(Self.options(p, [("127.0.0.1", 4), ("127.0.0.1", 4), ("bogus", 4)]), loop: loop, port: p, log: log)
                s.on(.ready) { attempted = s.autoSelectFamilyAttemptedAddresses }
                Self.exchange(s, closing: [server]) { _ in }
            }
        }
        #expect(attempted == nil)
        #expect(log.entries == [
            "lookup - 127.0.0.1 4", "lookup - 127.0.0.1 4", "lookup - bogus 4",
            "attempt 127.0.0.1:P 4", "connect", "close false",
        ])
    }

    // Writes made while happy eyeballs runs go out on the connection that wins.
    @Test func writesQueuedDuringAttemptsReachTheWinner() {
        var received = ""
        withLoop { loop in
            let server = Net.createServer(loop: loop) { socket in
                socket.setEncoding(.utf8)
                socket.on(.text) { received += $0 }
                socket.on(.end) { socket.end() }
            }
            listenLocal(server) { p in
                let s = Self.start(Self.options(p, [("::1", 6), ("127.0.0.2", 4), ("::ffff:127.0.0.1", 6)], loop: loop), loop: loop, port: p, log: Log())
                s.write("one ")
                s.write("two")
                s.end()
                s.on(.close) { _ in server.close() }
            }
        }
        #expect(received == "one two")
    }
}


/// Listens on `host` and `port`, calling `ready` with the port once listening.
@discardableResult
func listenLocal(_ server: Server, host: String, port: Int, _ ready: @escaping (Int) -> Void) -> Server {
    do {
        try server.listen(port: port, host: host) { ready((try? server.address())?.port ?? 0) }
    } catch {
        Issue.record("listen threw \(error)")
    }
    return server
}
