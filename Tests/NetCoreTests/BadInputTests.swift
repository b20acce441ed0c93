import Testing
import Foundation
@testable import NetCore
import Net

/// Every invalid value a Swift caller can pass to a public entry point gets a `NetError` with
/// Node's code (thrown, or as an `'error'` event where Node reports it so), and never a crash.
/// Values that Node accepts (a huge keep-alive delay, a negative backlog…) must simply work.
@Suite struct BadInputTests {
    /// One invalid call and the code it must fail with.
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let code: NetError.Code
        let call: @Sendable (EventLoop) throws(NetError) -> Void
        var testDescription: String { name }
    }

    static let badPorts = [-1, 65536, Int.max, Int.min]
    static let longPath = "/tmp/" + String(repeating: "x", count: 200)

    static let throwingCases: [Case] = {
        var cases: [Case] = []
        func add(_ name: String, _ code: NetError.Code, _ call: @escaping @Sendable (EventLoop) throws(NetError) -> Void) {
            cases.append(Case(name: name, code: code, call: call))
        }
        for p in badPorts {
            add("connect(port: \(p))", .ERR_SOCKET_BAD_PORT) { loop throws(NetError) in try Socket(loop: loop).connect(port: p) }
            add("connect options.localPort \(p)", .ERR_SOCKET_BAD_PORT) { loop throws(NetError) in
                var o = SocketConnectOptions(port: 80, host: "127.0.0.1")
                o.localPort = p
                try Socket(loop: loop).connect(o)
            }
            add("createConnection(port: \(p))", .ERR_SOCKET_BAD_PORT) { loop throws(NetError) in
                try Net.createConnection(port: p, loop: loop)
            }
            add("listen(port: \(p))", .ERR_SOCKET_BAD_PORT) { loop throws(NetError) in try Server(loop: loop).listen(port: p) }
            add("listen(ListenOptions(port: \(p)))", .ERR_SOCKET_BAD_PORT) { loop throws(NetError) in
                try Server(loop: loop).listen(ListenOptions(port: p, host: "127.0.0.1"))
            }
        }
        for junk in ["junk", "", "1.2.3", "::g", "127.0.0.1 ", "256.0.0.1", "\0", "localhost"] {
            add("connect options.localAddress \(junk.debugDescription)", .ERR_INVALID_IP_ADDRESS) { loop throws(NetError) in
                var o = SocketConnectOptions(port: 80, host: "127.0.0.1")
                o.localAddress = junk
                try Socket(loop: loop).connect(o)
            }
        }
        for family in [5, -1, 1, Int.max, Int.min] {
            add("connect options.family \(family)", .ERR_INVALID_ARG_VALUE) { loop throws(NetError) in
                var o = SocketConnectOptions(port: 80, host: "127.0.0.1")
                o.family = family
                try Socket(loop: loop).connect(o)
            }
        }
        // The timeout option is set by `Net.connect` (as Node's `net.connect`), not by
        // `socket.connect`, which ignores it.
        for ms in [-1, Int.min] {
            add("Net.connect options.timeout \(ms)", .ERR_OUT_OF_RANGE) { loop throws(NetError) in
                var o = SocketConnectOptions(port: 80, host: "127.0.0.1")
                o.timeout = ms
                try Net.connect(o, loop: loop)
            }
            add("Net.connect(path) options.timeout \(ms)", .ERR_OUT_OF_RANGE) { loop throws(NetError) in
                var o = SocketConnectOptions(path: "/nonexistent/swift-net")
                o.timeout = ms
                try Net.connect(o, loop: loop)
            }
        }
        add("listen(ListenOptions()) without port or path", .ERR_INVALID_ARG_VALUE) { loop throws(NetError) in
            try Server(loop: loop).listen(ListenOptions(host: "127.0.0.1"))
        }
        add("listen on an abstract path with readableAll", .ERR_INVALID_ARG_VALUE) { loop throws(NetError) in
            try Server(loop: loop).listen(ListenOptions(path: "\0swift-net-bad-input", readableAll: true))
        }
        add("listen on an abstract path with writableAll", .ERR_INVALID_ARG_VALUE) { loop throws(NetError) in
            try Server(loop: loop).listen(ListenOptions(path: "\0swift-net-bad-input", writableAll: true))
        }
        for fd: Int32 in [-1, Int32.min] {
            add("listen(fd: \(fd))", .ERR_INVALID_ARG_VALUE) { loop throws(NetError) in try Server(loop: loop).listen(fd: fd) }
            add("listen({ fd: \(fd) })", .ERR_INVALID_ARG_VALUE) { loop throws(NetError) in
                try Server(loop: loop).listen(ListenOptions(fd: fd))
            }
            add("Socket(fd: \(fd))", .ERR_OUT_OF_RANGE) { loop throws(NetError) in _ = try Socket(fd: fd, loop: loop) }
        }
        add("Socket(fd:) of a descriptor that is not open", .ERR_INVALID_FD_TYPE) { loop throws(NetError) in
            _ = try Socket(fd: Int32.max, loop: loop)
        }
        add("Socket(fd:) of a file", .ERR_INVALID_FD_TYPE) { loop throws(NetError) in
            let fd = open("/dev/null", O_RDONLY)
            defer { close(fd) }
            _ = try Socket(fd: fd, loop: loop)
        }
        add("listen twice", .ERR_SERVER_ALREADY_LISTEN) { loop throws(NetError) in
            let server = Server(loop: loop)
            defer { server.close() }
            // Bound at once, as a path is (a host is resolved on a later tick first).
            try server.listen(path: "\0swift-net-bad-input-\(getpid())")
            try server.listen(port: 0, host: "127.0.0.1")
        }
        return cases
    }()

    @Test(arguments: throwingCases)
    func invalidArgumentsThrowNodesCode(_ c: Case) {
        withLoop { loop in
            do throws(NetError) {
                try c.call(loop)
                Issue.record("\(c.name) did not throw")
            } catch {
                #expect(error.code == c.code, "\(c.name): \(error)")
                #expect(!error.message.isEmpty)
            }
        }
    }

    /// Failures Node reports as `'error'` events, on a socket or a server; `code` is expected.
    struct EventCase: CustomTestStringConvertible, Sendable {
        let name: String
        let codes: Set<NetError.Code>
        let start: @Sendable (EventLoop, @escaping (NetError) -> Void) throws(NetError) -> Void
        var testDescription: String { name }
    }

    static let eventCases: [EventCase] = [
        EventCase(name: "connect(path:) too long", codes: [.EINVAL]) { loop, report throws(NetError) in
            let s = Socket(loop: loop)
            s.on(.error, report)
            try s.connect(path: longPath)
        },
        EventCase(name: "connect(path:) empty", codes: [.ENOENT, .EINVAL]) { loop, report throws(NetError) in
            let s = Socket(loop: loop)
            s.on(.error, report)
            try s.connect(path: "")
        },
        EventCase(name: "connect(path:) missing", codes: [.ENOENT]) { loop, report throws(NetError) in
            let s = Socket(loop: loop)
            s.on(.error, report)
            try s.connect(path: "/nonexistent/swift-net.sock")
        },
        EventCase(name: "listen(path:) too long", codes: [.EINVAL]) { loop, report throws(NetError) in
            let server = Server(loop: loop)
            server.on(.error, report)
            try server.listen(path: longPath)
        },
        EventCase(name: "listen(path:) in a missing directory", codes: [.ENOENT, .EACCES]) { loop, report throws(NetError) in
            let server = Server(loop: loop)
            server.on(.error, report)
            try server.listen(path: "/nonexistent/swift-net.sock")
        },
        EventCase(name: "listen(fd:) of a file", codes: [.EINVAL, "ENOTSOCK", "ENOTSUP"]) { loop, report throws(NetError) in
            let server = Server(loop: loop)
            server.on(.error) { error in
                report(error)
                server.close()
            }
            let fd = open("/dev/null", O_RDONLY)
            defer { close(fd) }
            try server.listen(fd: fd)
        },
    ]

    @Test(arguments: eventCases)
    func invalidTargetsReportNodesCodeAsAnErrorEvent(_ c: EventCase) {
        var errors: [NetError] = []
        withLoop { loop in
            do throws(NetError) {
                try c.start(loop) { errors.append($0) }
            } catch {
                Issue.record("\(c.name) threw \(error)")
            }
        }
        #expect(errors.count == 1, "\(c.name): \(errors)")
        #expect(errors.allSatisfy { c.codes.contains($0.code) }, "\(c.name): \(errors)")
    }

    // listen({ path: '' }) has no path, as in Node 20: it throws ERR_INVALID_ARG_VALUE
    // (`The argument 'options' is invalid. Received { path: '' }`), as does listen(path: "").
    @Test func listenOnAnEmptyPathThrows() {
        withLoop { loop in
            do throws(NetError) {
                try Server(loop: loop).listen(ListenOptions(path: ""))
                Issue.record("listen({ path: '' }) did not throw")
            } catch {
                #expect(error.code == .ERR_INVALID_ARG_VALUE, "\(error)")
                #expect(error.message == "The argument 'options' is invalid. Received { path: '' }")
            }
            do throws(NetError) {
                try Server(loop: loop).listen(path: "")
                Issue.record("listen(path: \"\") did not throw")
            } catch {
                #expect(error.code == .ERR_INVALID_ARG_VALUE, "\(error)")
            }
        }
    }

    // Values Node accepts work: a huge or negative keep-alive delay (on a connected socket, in
    // connect options and in server options), a huge timeout, any backlog, odd high-water marks.
    @Test func extremeButAcceptedValuesWork() {
        var echoed = ""
        withLoop { loop in
            let server = Server(ServerOptions(keepAlive: true, keepAliveInitialDelay: Int.max, highWaterMark: -1), loop: loop) { s in
                s.setKeepAlive(true, initialDelay: Int.min)
                s.pipe(s)
            }
            server.maxConnections = Int.max
            do throws(NetError) {
                try server.listen(port: 0, host: "127.0.0.1", backlog: Int.max) {
                    var o = SocketConnectOptions(port: (try? server.address())?.port ?? 0, host: "127.0.0.1")
                    o.keepAlive = true
                    o.keepAliveInitialDelay = Int.max
                    o.highWaterMark = Int.max
                    o.timeout = Int.max
                    let c = Socket(o.socketOptions, loop: loop)
                    c.on(.data) { echoed += $0.toString(); c.end() }
                    c.on(.close) { _ in server.close() }
                    do throws(NetError) {
                        try c.connect(o) {
                            c.setKeepAlive(true, initialDelay: Int.max)
                            c.setKeepAlive(true, initialDelay: -1)
                            c.setTimeout(Int.max)
                            c.write("ok")
                        }
                    } catch {
                        Issue.record("connect threw \(error)")
                    }
                }
            } catch {
                Issue.record("listen threw \(error)")
            }
        }
        #expect(echoed == "ok")
        withLoop { loop in
            for backlog in [-1, 0, Int.min] {
                let s = Server(loop: loop)
                do throws(NetError) {
                    try s.listen(port: 0, host: "127.0.0.1", backlog: backlog) { s.close() }
                } catch {
                    Issue.record("backlog \(backlog): \(error)")
                }
            }
        }
    }

    // Buffers and encodings: unknown names are nil, sizes and ranges clamp, nothing traps.
    @Test func buffersAndEncodingsNeverTrap() {
        for name in ["", "utf-9", "UTF8 ", "hex\0", "base-64", "latin2", "ucs4", "😀"] {
            #expect(BufferEncoding(name: name) == nil, "\(name.debugDescription)")
        }
        #expect(Buffer(count: -1).count == 0)
        #expect(Buffer.alloc(Int.min).count == 0)
        let b = Buffer("hello")
        for (s, e) in [(Int.min, Int.max), (Int.max, Int.min), (-1, -2), (3, 1), (Int.max, nil), (Int.min, nil)] as [(Int, Int?)] {
            _ = b.subarray(s, e)
            _ = b.slice(s, e)
            for encoding in BufferEncoding.allCases { _ = b.toString(encoding, start: s, end: e) }
        }
        #expect(b.subarray(Int.min, Int.max) == b)
        #expect(b.toString(start: Int.max) == "")
        for encoding in BufferEncoding.allCases {
            for junk in ["\u{0}", "%%%", "=", "\u{FFFD}\u{10FFFF}", "a", "abc"] {
                _ = Buffer(junk, encoding: encoding)
                _ = Buffer.byteLength(junk, encoding: encoding)
            }
            var d = StringDecoder(encoding)
            _ = d.write(Buffer([0xFF, 0xFE, 0xC3]))
            _ = d.end()
        }
    }

    // The group clamps its loop count to at least one.
    @Test func eventLoopGroupOfZeroLoopsHasOne() {
        for count in [0, Int.min] {
            let group = EventLoopGroup(count: count)
            #expect(group.loops.count == 1)
            group.shutdown()
            #expect(group.loops.allSatisfy { $0.liveHandles == 0 && $0.liveEmitters == 0 })
        }
    }
}
