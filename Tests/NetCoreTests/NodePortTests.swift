import Testing
import Foundation
@testable import NetCore
import Net

/// Ports of Node's `net` tests that check one behaviour each; each test states it.
@Suite struct NodePortTests {
    // node: test/parallel/test-net-listen-error.js
    // node: test/parallel/test-net-better-error-messages-listen.js — listening on an address that is
    // not this machine's (1.1.1.1, port 1; nothing is sent) is an 'error' event, never
    // 'listening', naming the address, the port and the `listen` syscall.
    @Test func listenOnAForeignAddressIsAnErrorEvent() throws {
        var error: NetError?
        withLoop { loop in
            let server = Server(loop: loop)
            server.on(.listening) { Issue.record("listened on 1.1.1.1") }
            server.on(.error) { [unowned server] e in
                error = e
                server.removeAllListeners()
            }
            _ = try? server.listen(port: 1, host: "1.1.1.1")
        }
        let e = try #require(error)
        #expect(e.code == "EADDRNOTAVAIL")
        #expect(e.address == "1.1.1.1" && e.port == 1 && e.syscall == "listen")
        #expect(e.message == "listen EADDRNOTAVAIL: address not available 1.1.1.1:1")
    }

    // node: test/parallel/test-net-listen-invalid-port.js — 2**32-1 is a bad port in every
    // listen form (port, port and host, options).
    @Test func aPortOfTwoToTheThirtyTwoMinusOneIsRefused() {
        let loop = EventLoop()
        let port = Int(UInt32.max)
        let forms: [(String, (Server) throws(NetError) -> Void)] = [
            ("listen(port:)", { s throws(NetError) in try s.listen(port: port) }),
            ("listen(port:host:)", { s throws(NetError) in try s.listen(port: port, host: "127.0.0.1") }),
            ("listen(options)", { s throws(NetError) in try s.listen(ListenOptions(port: port)) }),
        ]
        for (name, form) in forms {
            let server = Server(loop: loop)
            do throws(NetError) {
                try form(server)
                Issue.record("\(name) accepted \(port)")
            } catch {
                #expect(error.code == .ERR_SOCKET_BAD_PORT, "\(name)")
                #expect(error.message == "options.port should be >= 0 and < 65536. Received type number (4294967295).", "\(name)")
            }
            #expect(!server.listening)
        }
        loop.run()
    }

    // node: test/sequential/test-net-server-bind.js — an OS-assigned port is above 100, and the
    // backlog may be given with a port alone or with a host.
    @Test func serverBindForms() {
        var ports: [Int] = []
        withLoop { loop in
            let a = Server(loop: loop)
            let b = Server(loop: loop)
            do {
                try a.listen(port: 0, backlog: 128) {
                    ports.append((try? a.address())?.port ?? 0)
                    a.close()
                }
                try b.listen(port: 0, host: "127.0.0.1", backlog: 128) {
                    ports.append((try? b.address())?.port ?? 0)
                    b.close()
                }
            } catch {
                Issue.record("listen threw \(error)")
            }
        }
        #expect(ports.count == 2 && ports.allSatisfy { $0 > 100 })
    }

    // node: test/sequential/test-net-connect-econnrefused.js — five rounds of fifty concurrent
    // connects to a refusing port: every one fails with ECONNREFUSED then closes, and no handle
    // is left open.
    @Test func manyRefusedConnectsLeaveNothingOpen() {
        var refused = 0
        var closed = 0
        withLoop(timeout: 20000) { loop in
            let port = closedPort()
            func round(_ r: Int) {
                guard r < 5 else { return }
                var pending = 50
                for _ in 0..<50 {
                    let s = dial(port, loop: loop)
                    s.on(.error) { if $0.code == .ECONNREFUSED { refused += 1 } }
                    s.on(.close) { _ in
                        closed += 1
                        pending -= 1
                        if pending == 0 { round(r + 1) }
                    }
                }
            }
            round(0)
        }
        #expect(refused == 250)
        #expect(closed == 250)
    }

    // node: test/parallel/test-net-socket-local-address.js — one socket connects, closes and
    // connects again; each time its localAddress and localPort are the server side's remote
    // ones, and connect() returns the socket.
    @Test func localAddressOfOneSocketAcrossReconnects() {
        var pairs: [(String, String)] = []
        withLoop { loop in
            var serverSide: [String] = []
            let server = Server(loop: loop) { peer in
                serverSide.append("\(peer.remoteAddress ?? "?"):\(peer.remotePort ?? 0)")
                peer.end()
            }
            listenLocal(server) { port in
                let client = Socket(loop: loop)
                var rounds = 0
                func connectOnce() {
                    let returned = try? client.connect(port: port, host: "127.0.0.1") {
                        let mine = "\(client.localAddress ?? "?"):\(client.localPort ?? 0)"
                        client.once(.close) { _ in
                            pairs.append((mine, serverSide.last ?? ""))
                            rounds += 1
                            if rounds < 3 { connectOnce() } else { server.close() }
                        }
                    }
                    #expect(returned === client)
                }
                client.resume()
                connectOnce()
            }
        }
        #expect(pairs.count == 3)
        for (mine, theirs) in pairs { #expect(mine == theirs) }
    }

    // node: test/parallel/test-net-during-close.js — reading the remote address of a socket
    // that is still connecting, and destroying it, is harmless.
    @Test func remoteAddressWhileConnectingIsHarmless() {
        var seen: [String] = []
        withLoop { loop in
            let server = Server(loop: loop)
            listenLocal(server) { port in
                let client = dial(port, loop: loop)
                seen.append("\(client.remoteAddress ?? "nil") \(client.remoteFamily ?? "nil") \(client.remotePort.map(String.init) ?? "nil")")
                client.destroy()
                server.close()
            }
        }
        #expect(seen == ["nil nil nil"])
    }

    // node: test/parallel/test-net-socket-connect-without-cb.js
    // node: test/parallel/test-net-socket-ready-without-cb.js — connecting to the server's own
    // address without a callback still emits 'connect' and 'ready'.
    @Test func connectAndReadyWithoutACallback() {
        var events: [String] = []
        withLoop { loop in
            let server = Server(loop: loop) { $0.end() }
            listenLocal(server) { _ in
                guard case .inet(let info)? = try? server.address() else {
                    Issue.record("no address")
                    return
                }
                let client = Socket(loop: loop)
                client.on(.connect) { events.append("connect") }
                client.on(.ready) { events.append("ready") }
                client.on(.close) { _ in server.close() }
                client.resume()
                _ = try? client.connect(port: info.port, host: info.address)
            }
        }
        #expect(events == ["connect", "ready"])
    }

    // node: test/parallel/test-net-client-bind-twice.js — a client asking for a local port
    // that a listening server holds fails with EADDRINUSE (syscall bind) and closes.
    @Test func clientBindingABusyPortIsAddressInUse() {
        var error: NetError?
        withLoop { loop in
            let server = Server(loop: loop)
            listenLocal(server) { port in
                var options = SocketConnectOptions(port: port, host: "127.0.0.1")
                options.localAddress = "127.0.0.1"
                options.localPort = port
                let c = Socket(loop: loop)
                c.on(.connect) { Issue.record("connected from a busy port") }
                c.on(.error) { error = $0 }
                c.on(.close) { _ in server.close() }
                _ = try? c.connect(options)
            }
        }
        #expect(error?.code == "EADDRINUSE")
        #expect(error?.syscall == "bind")
    }

    // node: test/parallel/test-net-connect-immediate-finish.js — end() right after a connect
    // whose lookup will fail: the lookup error is still emitted, with its fields.
    @Test func endBeforeAFailingLookupStillReportsIt() {
        var error: NetError?
        var closes = 0
        withLoop { loop in
            var options = SocketConnectOptions(port: 80, host: "this.hostname.is.invalid")
            options.lookup = { host, o, callback in loop.nextTick { notFoundLookup()(host, o, callback) } }
            let c = Socket(loop: loop)
            c.on(.connect) { Issue.record("connected") }
            c.on(.error) { error = $0 }
            c.on(.close) { _ in closes += 1 }
            _ = try? c.connect(options)
            c.end()
        }
        #expect(error?.code == .ENOTFOUND)
        #expect(error?.hostname == "this.hostname.is.invalid")
        #expect(error?.syscall == "getaddrinfo")
        #expect(error?.message == "getaddrinfo ENOTFOUND this.hostname.is.invalid")
        #expect(closes == 1)
    }

    // node: test/parallel/test-net-write-after-close.js — a server writing to a peer that has
    // gone (destroyed) gets an error in its write callback; the server still closes.
    @Test func writeToAClosedPeerReportsToTheCallback() {
        var writeError: NetError?
        withLoop { loop in
            let server = Server(loop: loop)
            server.on(.connection) { peer in
                peer.on(.error) { _ in }
                peer.resume()
                peer.on(.end) {
                    // The client is gone: writes fail once the kernel reports the reset.
                    func writeUntilItFails() {
                        peer.write(Buffer([UInt8](repeating: 7, count: 1024))) { e in
                            if let e { writeError = e; server.close() } else if !peer.destroyed { writeUntilItFails() }
                        }
                    }
                    writeUntilItFails()
                }
            }
            listenLocal(server) { port in
                let c = dial(port, loop: loop)
                c.on(.connect) { c.destroy() }
            }
        }
        #expect(writeError != nil)
        #expect(["EPIPE", "ECONNRESET"].contains(writeError?.code.rawValue ?? ""), "got \(String(describing: writeError))")
    }

    // node: test/parallel/test-socket-write-after-fin.js — a half-open server keeps writing
    // after the client's FIN and only ends afterwards; the client's end(data) returns it and the
    // client receives everything.
    @Test func halfOpenServerWritesAfterTheClientsFin() {
        var received = ""
        var endReturnedSelf = false
        withLoop { loop in
            let server = Server(ServerOptions(allowHalfOpen: true), loop: loop)
            server.on(.connection) { peer in
                var got = ""
                peer.setEncoding(.utf8)
                peer.on(.text) { got += $0 }
                peer.on(.end) {
                    peer.write("got: \(got)")
                    peer.write(" and more")
                    peer.end()
                    server.close()
                }
            }
            listenLocal(server) { port in
                let c = Socket(SocketOptions(allowHalfOpen: true), loop: loop)
                c.setEncoding(.utf8)
                c.on(.text) { received += $0 }
                _ = try? c.connect(port: port, host: "127.0.0.1") {
                    endReturnedSelf = c.end("hello") === c
                }
            }
        }
        #expect(endReturnedSelf)
        #expect(received == "got: hello and more")
    }
}

/// Ports about connecting.
@Suite struct NodeConnectPortTests {
    // node: test/parallel/test-net-remote-address.js — right after connect() the socket is
    // connecting and has no remote address; at 'connect' it has one; 'end' follows end().
    @Test func remoteAddressAppearsAtConnect() {
        var seen: [String] = []
        withLoop { loop in
            let server = Server(loop: loop) { $0.end() }
            listenLocal(server) { port in
                let s = dial(port, loop: loop)
                seen.append("connecting \(s.connecting) remote \(s.remoteAddress ?? "nil")")
                s.on(.connect) {
                    seen.append("remote set \(s.remoteAddress != nil)")
                    s.end()
                }
                s.on(.end) {
                    seen.append("end")
                    server.close()
                }
                s.resume()
            }
        }
        #expect(seen == ["connecting true remote nil", "remote set true", "end"])
    }

    // node: test/parallel/test-net-connect-after-destroy.js — destroying a socket whose host
    // name is still being looked up (the system resolver) is harmless: no 'error', one 'close'.
    @Test func destroyWhileTheSystemLookupRuns() {
        var events: [String] = []
        withLoop { loop in
            guard let c = try? Net.createConnection(port: 80, host: "localhost", loop: loop) else {
                Issue.record("connect threw")
                return
            }
            c.on(.error) { events.append("error \($0.code)") }
            c.on(.connect) { events.append("connect") }
            c.on(.close) { events.append("close \($0.hadError)") }
            c.destroy()
        }
        #expect(events == ["close false"])
    }

    // node: test/parallel/test-net-connect-options-ipv6.js — family 6 reaches the custom
    // lookup with the host name; its ::1 answer is connected to; both sides half-open, the
    // server ends at once, and the client is still writable after its 'end' (on a later turn)
    // before it ends too.
    @Test func familySixAndAHalfOpenClient() {
        var seen: [String] = []
        withLoop { loop in
            let server = Server(ServerOptions(allowHalfOpen: true), loop: loop)
            server.on(.connection) { peer in
                peer.resume()
                peer.on(.end) { seen.append("server end") }
                peer.end()
            }
            do {
                try server.listen(port: 0, host: "::1") {
                    var options = SocketConnectOptions(port: (try? server.address())?.port ?? 0, host: "dummy")
                    options.family = 6
                    options.allowHalfOpen = true
                    options.lookup = { host, o, callback in
                        seen.append("lookup \(host) family \(o.family)")
                        callback(nil, [LookupAddress(address: "::1", family: o.family)])
                    }
                    guard let client = try? Net.connect(options, loop: loop) else {
                        Issue.record("connect threw")
                        return
                    }
                    client.on(.connect) { seen.append("connect \(client.remoteAddress ?? "nil")") }
                    client.resume()
                    client.on(.end) {
                        loop.setTimeout(10) {
                            seen.append("writable \(client.writable)")
                            client.end()
                        }
                    }
                    client.on(.close) { _ in server.close() }
                }
            } catch {
                Issue.record("listen threw \(error)")
            }
        }
        #expect(seen.first == "lookup dummy family 6")
        #expect(seen.contains("connect ::1"))
        #expect(seen.contains("writable true"))
        #expect(seen.contains("server end"))
    }
}

/// Ports about lookups that fail.
@Suite struct NodeLookupPortTests {
    // node: test/parallel/test-net-dns-error.js — a host name of 64 asterisks cannot be
    // resolved (the system resolver says so at once, node 20: ENOTFOUND in about 10 ms):
    // 'lookup' carries the error and no address or family, then 'error' ENOTFOUND; never
    // 'connect'.
    @Test func anUnresolvableNameFailsWithENOTFOUND() {
        var seen: [String] = []
        withLoop(timeout: 10000) { loop in
            let host = String(repeating: "*", count: 64)
            var options = SocketConnectOptions(port: 42, host: host)
            options.autoSelectFamily = false
            let s = Socket(loop: loop)
            s.on(.connect) { Issue.record("connected") }
            s.on(.lookup) { e in
                seen.append("lookup \(e.error?.code.rawValue ?? "nil") \(e.address ?? "undefined") \(e.family.map(String.init) ?? "undefined")")
            }
            s.on(.error) { seen.append("error \($0.code)") }
            _ = try? s.connect(options)
        }
        #expect(seen == ["lookup ENOTFOUND undefined undefined", "error ENOTFOUND"])
    }
}

/// Ports about how a stream ends.
@Suite struct NodeEndPortTests {
    // node: test/parallel/test-net-end-close.js — a socket over a handle whose peer reports end
    // of stream (here one end of a socket pair, closed) emits 'end' then 'close', nothing else.
    @Test func endOfStreamFromTheHandleGivesEndThenClose() throws {
        var fds: [Int32] = [-1, -1]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds) == 0)
        var events: [String] = []
        try withLoop { loop in
            let s = try Socket(fd: fds[0], loop: loop)
            s.on(.end) { events.append("end") }
            s.on(.error) { events.append("error \($0.code)") }
            s.on(.close) { events.append("close \($0.hadError)") }
            s.resume()
            close(fds[1])
        }
        #expect(events == ["end", "close false"])
    }

    // node: test/parallel/test-net-socket-no-halfopen-enforcer.js — a fresh socket carries no
    // 'end' listener beyond its own handling (Node's has exactly its one internal listener and
    // no Duplex half-open enforcer; here the ending is the stream machine's, so none at all).
    @Test func aFreshSocketHasNoEndListeners() {
        let loop = EventLoop()
        let s = Socket(loop: loop)
        #expect(s.listenerCount(.end) == 0)
        #expect(s.listenerCount(.close) == 0)
        loop.run()
    }
}

/// Ports that need a second process.
@Suite struct NodeChildProcessPortTests {
    // node: test/parallel/test-net-child-process-connect-reset.js — an `onread` client whose
    // server process is killed (SIGKILL) right after the connection is made survives it: at
    // most an ECONNRESET 'error', then 'close'; the child died of the signal.
    @Test func onreadClientSurvivesItsServerBeingKilled() throws {
        let script = """
            const net = require('net');
            const server = net.createServer(() => {});
            server.listen(0, '127.0.0.1', () => console.log('listening 127.0.0.1:' + server.address().port));
            """
        let child = try #require(ChildProcess.node(script))
        defer { child.stop() }
        let port = try #require(ChildProcess.port(fromListeningLine: child.readLine()), "the child server did not start")
        var errors: [String] = []
        var closed = false
        withLoop(timeout: 10000) { loop in
            var options = SocketConnectOptions(port: port, host: "127.0.0.1")
            options.onread = OnRead(memory: .capacity(65536)) { _, _ in true }
            guard let conn = try? Net.connect(options, loop: loop) else {
                Issue.record("connect threw")
                return
            }
            conn.on(.error) { errors.append($0.code.rawValue) }
            conn.on(.connect) { kill(child.process.processIdentifier, SIGKILL) }
            conn.on(.close) { _ in closed = true }
        }
        #expect(closed)
        #expect(errors.allSatisfy { $0 == "ECONNRESET" }, "\(errors)")
        #expect(child.waitForExit(timeout: 10) == SIGKILL)
        #expect(child.process.terminationReason == .uncaughtSignal)
    }
}
