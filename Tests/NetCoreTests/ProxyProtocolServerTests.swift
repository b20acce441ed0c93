import Testing
@testable import NetCore
import Net

/// A server with `proxyProtocol` reads the header before `'connection'`, reports the client it
/// names, applies `blockList` to that client, hands over exactly the bytes after the header, and
/// refuses bad headers through `'proxyProtocolError'` without disturbing anything else.
@Suite struct ProxyProtocolServerTests {
    /// What the server saw of one connection.
    struct Seen {
        var remote: String?
        var local: String?
        var family: String?
        var data: [UInt8] = []
    }

    /// Starts a proxy-protocol echo server, then runs `client` with its port.
    func withProxyServer(
        _ options: ServerOptions, timeout: UInt64 = 5000,
        _ client: @escaping (EventLoop, Server, Int, @escaping () -> Void) -> Void,
        seen: @escaping (Socket) -> Void = { _ in }
    ) {
        withLoop(timeout: timeout) { loop in
            let server = Server(options, loop: loop) { socket in
                seen(socket)
                socket.pipe(socket)
            }
            listenLocal(server) { port in client(loop, server, port) { server.close() } }
        }
    }

    static let payload = Array("hello through the balancer\n".utf8) + patternBytes(3000)

    @Test(arguments: [ProxyHeader.Version.v1, .v2])
    func headerAndPayloadInOneSegment(_ version: ProxyHeader.Version) throws {
        let header = ProxyHeader(version: version,
                                 source: ProxyEndpoint(address: try #require(IPAddress("203.0.113.7")), port: 40001),
                                 destination: ProxyEndpoint(address: try #require(IPAddress("198.51.100.2")), port: 443))
        var seen = Seen()
        var echoed: [UInt8] = []
        withProxyServer(ServerOptions(proxyProtocol: .either), { loop, server, port, done in
            let c = dial(port, loop: loop)
            c.write(Buffer(header.encoded() + Self.payload))
            c.on(.data) { echoed += Array($0); if echoed.count >= Self.payload.count { c.end() } }
            c.on(.close) { _ in done() }
        }, seen: { socket in
            seen.remote = socket.remoteAddress.map { "\($0):\(socket.remotePort ?? -1)" }
            seen.local = socket.localAddress.map { "\($0):\(socket.localPort ?? -1)" }
            seen.family = socket.remoteFamily
            socket.on(.data) { seen.data += Array($0) }
        })
        #expect(seen.remote == "203.0.113.7:40001")
        #expect(seen.local == "198.51.100.2:443")
        #expect(seen.family == "IPv4")
        #expect(seen.data == Self.payload, "the first 'data' must start right after the header")
        #expect(echoed == Self.payload)
    }

    @Test func headerSplitAcrossSegments() throws {
        let header = ProxyHeader(version: .v2,
                                 source: ProxyEndpoint(address: try #require(IPAddress("2001:db8::5")), port: 5555),
                                 destination: ProxyEndpoint(address: try #require(IPAddress("2001:db8::1")), port: 80))
        // TLVs after the addresses (ALPN, a NOOP) are skipped.
        var bytes = header.encoded()
        let tlvs: [UInt8] = [0x01, 0x00, 0x02, 0x68, 0x32, 0x04, 0x00, 0x03, 0, 0, 0]
        let length = Int(bytes[14]) << 8 | Int(bytes[15]) + tlvs.count
        bytes[14] = UInt8(length >> 8); bytes[15] = UInt8(length & 0xFF)
        bytes += tlvs
        let all = bytes + Array("after".utf8)
        var seen = Seen()
        var echoed = ""
        withProxyServer(ServerOptions(proxyProtocol: .v2), { loop, server, port, done in
            let c = dial(port, loop: loop)
            c.setNoDelay(true)
            // Pieces a few milliseconds apart, cutting the signature, the head and the TLVs.
            let cuts = [0, 5, 13, 20, 50, bytes.count - 3, all.count]
            func send(_ i: Int) {
                c.write(Buffer(all[cuts[i]..<cuts[i + 1]]))
                if i + 2 < cuts.count { loop.setTimeout(15) { send(i + 1) } }
            }
            send(0)
            c.on(.data) { echoed += $0.toString(); if echoed.count >= 5 { c.end() } }
            c.on(.close) { _ in done() }
        }, seen: { socket in
            seen.remote = socket.remoteAddress.map { "\($0):\(socket.remotePort ?? -1)" }
            seen.family = socket.remoteFamily
            socket.on(.data) { seen.data += Array($0) }
        })
        #expect(seen.remote == "2001:db8::5:5555")
        #expect(seen.family == "IPv6")
        #expect(seen.data == Array("after".utf8))
        #expect(echoed == "after")
    }

    @Test(arguments: [ProxyHeader.Version.v1, .v2])
    func localOrUnknownKeepsTheConnectionsAddresses(_ version: ProxyHeader.Version) {
        var seen = Seen()
        var clientPort: Int?
        withProxyServer(ServerOptions(proxyProtocol: .either), { loop, server, port, done in
            let c = dial(port, loop: loop) { }
            c.on(.connect) { clientPort = c.localPort }
            c.write(Buffer(ProxyHeader(version: version).encoded() + Array("x".utf8)))
            c.on(.data) { _ in c.end() }
            c.on(.close) { _ in done() }
        }, seen: { socket in
            seen.remote = socket.remoteAddress.map { "\($0):\(socket.remotePort ?? -1)" }
            socket.on(.data) { seen.data += Array($0) }
        })
        #expect(seen.remote == "127.0.0.1:\(clientPort ?? -2)")
        #expect(seen.data == Array("x".utf8))
    }

    /// Each bad connection is refused on its own: a good one alongside is served.
    @Test(arguments: [
        ("GET / HTTP/1.0\r\n\r\n", "ERR_PROXY_PROTOCOL_INVALID"),
        ("PROXY TCP4 1.2.3.4 5.6.7.8 1 99999\r\n", "ERR_PROXY_PROTOCOL_INVALID"),
        ("PROXY TCP4 " + String(repeating: "1", count: 120), "ERR_PROXY_PROTOCOL_INVALID"),
        ("PROXY TCP4 1.2", "ERR_PROXY_PROTOCOL_INCOMPLETE"),
    ])
    func badHeadersAreReportedAndOnlyThatConnectionCloses(_ input: String, _ code: String) throws {
        var failures: [ProxyProtocolFailure] = []
        var connections = 0
        var goodEcho = ""
        var badClosed = false
        let good = ProxyHeader(version: .v1, source: ProxyEndpoint(address: try #require(IPAddress("192.0.2.9")), port: 9),
                               destination: ProxyEndpoint(address: try #require(IPAddress("192.0.2.10")), port: 10))
        withLoop { loop in
            let server = Server(ServerOptions(proxyProtocol: .either), loop: loop) { socket in
                connections += 1
                socket.pipe(socket)
            }
            server.on(.error) { Issue.record("server 'error': \($0)") }
            var pending = 2
            func finished() { pending -= 1; if pending == 0 { server.close() } }
            server.on(.proxyProtocolError) { failures.append($0) }
            listenLocal(server) { port in
                let bad = dial(port, loop: loop)
                bad.on(.error) { _ in }
                bad.on(.close) { _ in badClosed = true; finished() }
                if input.hasSuffix("1.2") { bad.end(input) } else { bad.write(input) }
                let ok = dial(port, loop: loop)
                ok.write(Buffer(good.encoded() + Array("fine".utf8)))
                ok.on(.data) { goodEcho += $0.toString(); if goodEcho.count >= 4 { ok.end() } }
                ok.on(.close) { _ in finished() }
            }
        }
        #expect(badClosed)
        #expect(connections == 1, "only the good connection reaches 'connection'")
        #expect(goodEcho == "fine")
        #expect(failures.map(\.error.code.rawValue) == [code])
        #expect(failures.first?.remoteAddress == "127.0.0.1")
    }

    @Test func slowHeaderTimesOut() {
        var failures: [ProxyProtocolFailure] = []
        var closed = false
        withLoop { loop in
            let server = Server(ServerOptions(proxyProtocol: ProxyProtocolOptions(.either, headerTimeout: 100)), loop: loop) { _ in
                Issue.record("a connection without a header reached 'connection'")
            }
            server.on(.proxyProtocolError) { failures.append($0); server.close() }
            listenLocal(server) { port in
                let c = dial(port, loop: loop)
                c.write("PROXY ")
                c.on(.error) { _ in }
                c.on(.close) { _ in closed = true }
            }
        }
        #expect(closed)
        #expect(failures.map(\.error.code) == [.ERR_PROXY_PROTOCOL_TIMEOUT])
        #expect(failures.first?.error.message == "PROXY protocol header not received within 100 ms")
    }

    @Test func untrustedProxiesAreRefused() throws {
        let balancers = BlockList()
        try balancers.addAddress("192.0.2.1")
        var failures: [ProxyProtocolFailure] = []
        withLoop { loop in
            let server = Server(ServerOptions(proxyProtocol: ProxyProtocolOptions(.v1, trustedProxies: balancers)), loop: loop) { _ in
                Issue.record("an untrusted connection reached 'connection'")
            }
            server.on(.proxyProtocolError) { failures.append($0) }
            listenLocal(server) { port in
                let c = dial(port, loop: loop)
                c.write("PROXY UNKNOWN\r\n")
                c.on(.error) { _ in }
                c.on(.close) { _ in server.close() }
            }
        }
        #expect(failures.map(\.error.code) == [.ERR_PROXY_PROTOCOL_UNTRUSTED])
    }

    @Test func trustedProxiesAreServed() throws {
        let balancers = BlockList()
        try balancers.addAddress("127.0.0.1")
        var remote: String?
        withProxyServer(ServerOptions(proxyProtocol: ProxyProtocolOptions(.v1, trustedProxies: balancers)), { loop, _, port, done in
            let c = dial(port, loop: loop)
            c.write("PROXY TCP4 192.0.2.77 127.0.0.1 1234 80\r\nz")
            c.on(.data) { _ in c.end() }
            c.on(.close) { _ in done() }
        }, seen: { remote = $0.remoteAddress })
        #expect(remote == "192.0.2.77")
    }

    @Test func blockListSeesTheOriginalClient() throws {
        let blocked = BlockList()
        try blocked.addAddress("203.0.113.66")
        var connections: [String] = []
        withLoop { loop in
            let server = Server(ServerOptions(blockList: blocked, proxyProtocol: .either), loop: loop) { socket in
                connections.append(socket.remoteAddress ?? "?")
                socket.pipe(socket)
            }
            var closes = 0
            listenLocal(server) { port in
                for client in ["203.0.113.66", "203.0.113.67"] {
                    let c = dial(port, loop: loop)
                    c.write("PROXY TCP4 \(client) 127.0.0.1 1000 80\r\nping")
                    c.on(.data) { _ in c.end() }
                    c.on(.error) { _ in }
                    c.on(.close) { _ in closes += 1; if closes == 2 { server.close() } }
                }
            }
        }
        #expect(connections == ["203.0.113.67"])
    }

    @Test func pausedOnConnectKeepsTheBytesAfterTheHeader() {
        var got = ""
        withLoop { loop in
            let server = Server(ServerOptions(pauseOnConnect: true, proxyProtocol: .v1), loop: loop)
            server.on(.connection) { [unowned server] socket in
                socket.on(.data) { got += $0.toString() }
                socket.on(.end) { socket.end(); server.close() }
                loop.setTimeout(20) { socket.resume() }
            }
            listenLocal(server) { port in
                let c = dial(port, loop: loop)
                c.end("PROXY UNKNOWN\r\npaused bytes")
            }
        }
        #expect(got == "paused bytes")
    }

    @Test func relayWritesAHeaderDescribingItsClient() {
        var seenRemote: String?
        var clientPort: Int?
        var echoed = ""
        withLoop { loop in
            // backend <- relay (writes a header for each client) <- client
            let backend = Server(ServerOptions(proxyProtocol: .v2), loop: loop) { socket in
                seenRemote = "\(socket.remoteAddress ?? "?"):\(socket.remotePort ?? -1)"
                socket.pipe(socket)
            }
            listenLocal(backend) { backendPort in
                let relay = Server(loop: loop) { client in
                    let upstream = dial(backendPort, loop: loop)
                    upstream.writeProxyHeader(.v2, describing: client)
                    client.pipe(upstream)
                    upstream.pipe(client)
                }
                listenLocal(relay) { relayPort in
                    let c = dial(relayPort, loop: loop)
                    c.on(.connect) { clientPort = c.localPort }
                    c.write("relayed")
                    c.on(.data) { echoed += $0.toString(); if echoed.count >= 7 { c.end() } }
                    c.on(.close) { _ in relay.close(); backend.close() }
                }
            }
        }
        #expect(echoed == "relayed")
        #expect(seenRemote == "127.0.0.1:\(clientPort ?? -2)")
    }
}
