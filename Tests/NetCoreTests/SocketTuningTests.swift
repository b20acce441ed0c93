import Testing
import Foundation
@testable import NetCore
import Net

/// keep-alive, no-delay and ref/unref, observed on the socket itself: the options with
/// `getsockopt` on its fd, the reference through whether the loop keeps running.
///
/// Node's tests for these monkey-patch the native handle to count calls ("the handle is called
/// only when the setting changes"). A repeated identical `setsockopt` changes nothing a peer or
/// the kernel can see, so those call counts are not checked here; the resulting option values
/// are.
@Suite struct SocketTuningTests {
    static let tcpNoDelay: Int32 = 1
    static let tcpKeepIdle: Int32 = 4
    static let tcpKeepInterval: Int32 = 5
    static let tcpKeepCount: Int32 = 6
    static let tcp = Int32(IPPROTO_TCP)

    /// The fd of a connected IPv4 socket of this process: the one whose local and peer ports
    /// are the socket's.
    static func fd(of socket: Socket) -> Int32? {
        guard let local = socket.localPort, let remote = socket.remotePort else { return nil }
        func port(_ fd: Int32, peer: Bool) -> Int? {
            var addr = sockaddr_in()
            var len = socklen_t(MemoryLayout<sockaddr_in>.size)
            let r = withUnsafeMutablePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { peer ? getpeername(fd, $0, &len) : getsockname(fd, $0, &len) }
            }
            guard r == 0, addr.sin_family == sa_family_t(AF_INET) else { return nil }
            return Int(UInt16(bigEndian: addr.sin_port))
        }
        return (0..<4096).first { port($0, peer: false) == local && port($0, peer: true) == remote }
    }

    /// An integer socket option of the socket's fd, or nil without one.
    static func option(_ socket: Socket, _ level: Int32, _ name: Int32) -> Int32? {
        guard let fd = fd(of: socket) else { return nil }
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, level, name, &value, &length) == 0 else { return nil }
        return value
    }

    static func keepAlive(_ s: Socket) -> Int32? { option(s, SOL_SOCKET, SO_KEEPALIVE) }
    static func keepIdle(_ s: Socket) -> Int32? { option(s, tcp, tcpKeepIdle) }
    static func noDelay(_ s: Socket) -> Int32? { option(s, tcp, tcpNoDelay) }

    /// The system's default keep-alive idle time, as a fresh TCP socket reports it.
    static let defaultKeepIdle: Int32 = {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        _ = getsockopt(fd, tcp, tcpKeepIdle, &value, &length)
        return value
    }()

    // node: test/parallel/test-net-keepalive.js
    // Keep-alive turned on for an accepted connection (idle timeout off) leaves both ends
    // 'open' 100 ms later; the option is set on the server side's socket.
    @Test func keepAliveOnAnAcceptedConnection() {
        var states: [String] = []
        var option: Int32?
        withLoop { loop in
            var client: Socket?
            let server = Server(loop: loop)
            server.on(.connection) { connection in
                connection.setTimeout(0)
                #expect(connection.setKeepAlive(true, initialDelay: 50) === connection)
                option = Self.keepAlive(connection)
                connection.resume()
                connection.on(.end) { connection.end() }
                loop.setTimeout(100) {
                    states = [connection.readyState, client?.readyState ?? "none"]
                    connection.end()
                    client?.end()
                    server.close()
                }
            }
            listenLocal(server) { port in
                client = dial(port, loop: loop)
                client?.setTimeout(0)
                client?.resume()
                client?.on(.close) { _ in client = nil }
            }
        }
        #expect(states == ["open", "open"])
        #expect(option == 1)
    }

    // node: test/parallel/test-net-persistent-keepalive.js
    // setKeepAlive before connect returns the socket and is applied once connected: keep-alive
    // on, with the initial delay in whole seconds.
    @Test func keepAliveBeforeConnectPersists() {
        var seen: [Int32?] = []
        var states: [String] = []
        withLoop { loop in
            let server = Net.createServer(loop: loop) { connection in
                connection.resume()
                connection.on(.end) { connection.end() }
            }
            listenLocal(server) { port in
                let client = Socket(loop: loop)
                #expect(client.setKeepAlive(true, initialDelay: 2000) === client)
                _ = try? client.connect(port: port, host: "127.0.0.1")
                client.setTimeout(0)
                client.resume()
                client.on(.connect) {
                    seen = [Self.keepAlive(client), Self.keepIdle(client)]
                    loop.setTimeout(100) {
                        states = [client.readyState]
                        client.end()
                        server.close()
                    }
                }
            }
        }
        #expect(seen == [1, 2])
        #expect(states == ["open"])
    }

    // node: test/parallel/test-net-connect-keepalive.js
    // The keepAlive connect option turns keep-alive on once connected with the delay in whole
    // seconds (456123 ms → 456 s, with Node's probes: 10 probes 1 s apart); a delay under a
    // second, negative or absent leaves the system's idle time alone. Without the option
    // keep-alive stays off.
    @Test func keepAliveConnectOption() {
        let delays: [Int?] = [123, 456_123, -123_000, nil, 0]
        var seen: [String] = []
        withLoop { loop in
            let server = Net.createServer(loop: loop) { $0.end() }
            listenLocal(server) { port in
                var closed = 0
                for (i, delay) in delays.enumerated() {
                    var options = SocketConnectOptions(port: port, host: "127.0.0.1")
                    options.keepAlive = delay != 0
                    if let delay, delay != 0 { options.keepAliveInitialDelay = delay }
                    guard let client = try? Net.connect(options, loop: loop) else {
                        Issue.record("connect threw")
                        continue
                    }
                    client.on(.connect) {
                        var line = "\(i) on=\(Self.keepAlive(client) ?? -1) idle=\(Self.keepIdle(client) ?? -1)"
                        if delay == 456_123 {
                            line += " count=\(Self.option(client, Self.tcp, Self.tcpKeepCount) ?? -1)"
                            line += " interval=\(Self.option(client, Self.tcp, Self.tcpKeepInterval) ?? -1)"
                        }
                        seen.append(line)
                        client.end()
                    }
                    client.resume()
                    client.on(.close) { _ in
                        closed += 1
                        if closed == delays.count { server.close() }
                    }
                }
            }
        }
        let idle = Self.defaultKeepIdle
        #expect(seen.sorted() == [
            "0 on=1 idle=\(idle)", "1 on=1 idle=456 count=10 interval=1", "2 on=1 idle=\(idle)",
            "3 on=1 idle=\(idle)", "4 on=0 idle=\(idle)",
        ])
    }

    // node: test/parallel/test-net-socket-setnodelay.js
    // setNoDelay() means true; it returns the socket; false turns Nagle's algorithm back on;
    // the handle is reached only on a change (an option changed behind the socket's back stays
    // as it is after a repeated call); a socket without a handle takes the call and returns
    // itself.
    @Test func setNoDelayTogglesTheOption() {
        var seen: [Int32?] = []
        withLoop { loop in
            let handleless = Socket(loop: loop)
            #expect(handleless.setNoDelay() === handleless)
            #expect(handleless.setNoDelay(false) === handleless)
            let server = Net.createServer(loop: loop) { $0.end() }
            listenLocal(server) { port in
                let client = dial(port, loop: loop)
                client.on(.connect) {
                    seen.append(Self.noDelay(client))
                    #expect(client.setNoDelay() === client)
                    seen.append(Self.noDelay(client))
                    client.setNoDelay(false)
                    seen.append(Self.noDelay(client))
                    client.setNoDelay(true).setNoDelay(true)
                    seen.append(Self.noDelay(client))
                    if let fd = client.fileDescriptor {
                        var off: Int32 = 0
                        setsockopt(fd, Self.tcp, Self.tcpNoDelay, &off, 4)
                    }
                    client.setNoDelay(true)
                    seen.append(Self.noDelay(client))
                    client.end()
                    server.close()
                }
                client.resume()
            }
        }
        #expect(seen == [0, 1, 0, 1, 0])
    }

    // node: test/parallel/test-net-persistent-nodelay.js, test-net-connect-nodelay.js
    // setNoDelay() before the socket has a handle, or the noDelay connect option, is applied
    // when the connection is made; a socket without either keeps Nagle's algorithm.
    @Test func noDelayBeforeConnectIsAppliedAtConnect() {
        var seen: [String] = []
        withLoop { loop in
            let server = Net.createServer(loop: loop) { $0.end() }
            listenLocal(server) { port in
                let early = Socket(loop: loop)
                early.setNoDelay()
                _ = try? early.connect(port: port, host: "127.0.0.1")
                var options = SocketConnectOptions(port: port, host: "127.0.0.1")
                options.noDelay = true
                let viaOption = try? Net.connect(options, loop: loop)
                let plain = dial(port, loop: loop)
                var closed = 0
                for (name, s) in [("early", early), ("option", viaOption), ("plain", plain)] {
                    guard let s else { continue }
                    s.on(.connect) { seen.append("\(name) \(Self.noDelay(s) ?? -1)") }
                    s.resume()
                    s.on(.close) { _ in
                        closed += 1
                        if closed == 3 { server.close() }
                    }
                }
            }
        }
        #expect(seen.sorted() == ["early 1", "option 1", "plain 0"])
    }

    // node: test/parallel/test-net-persistent-ref-unref.js
    // unref() then ref() before connecting leaves the connection ref'd once it exists: with
    // the server and its side unref'd, the client alone keeps the loop running until the
    // server's delayed 'end' arrives.
    @Test func refAfterUnrefBeforeConnectKeepsTheLoopAlive() {
        var gotEnd = false
        var refAtConnect: Bool?
        withLoop { loop in
            let server = Net.createServer(loop: loop) { conn in
                conn.unref()
                conn.resume()
                loop.setTimeout(100) { conn.end("bye") }.unref()
            }
            server.unref()
            listenLocal(server) { port in
                let sock = Socket(loop: loop)
                sock.unref()
                sock.ref()
                _ = try? sock.connect(port: port, host: "127.0.0.1")
                sock.on(.connect) { refAtConnect = sock.handle?.hasRef }
                sock.resume()
                sock.on(.end) {
                    gotEnd = true
                    server.close()
                }
            }
        }
        #expect(refAtConnect == true)
        #expect(gotEnd)
    }

    // The converse: unref() alone before connecting lets the loop end before that 'end'.
    @Test func unrefBeforeConnectLetsTheLoopEnd() {
        let loop = EventLoop()
        var gotEnd = false
        var sockets: [Socket] = []
        var timers: [NetCore.Timeout] = []
        var server: Server? = Net.createServer(loop: loop) { conn in
            conn.unref()
            conn.resume()
            sockets.append(conn)
            timers.append(loop.setTimeout(100) { conn.end("bye") }.unref())
        }
        server?.unref()
        if let server {
            listenLocal(server) { port in
                let sock = Socket(loop: loop)
                sock.unref()
                _ = try? sock.connect(port: port, host: "127.0.0.1")
                sock.resume()
                sock.on(.end) { gotEnd = true }
                sockets.append(sock)
            }
        }
        #expect(runEndsByItself(loop, within: 1000))
        #expect(!gotEnd)
        for s in sockets { s.destroy() }
        for t in timers { t.close() }
        server?.close()
        sockets = []
        timers = []
        server = nil
        loop.run()
        #expect(loop.liveHandles == 0)
        #expect(loop.liveEmitters == 0)
    }
}
