import Testing
@testable import NetCore
import Net

/// Refused connects: the error's fields and text, the 'error' → 'close' order, reconnecting.
@Suite struct ConnectErrorTests {
    // node: test/sequential/test-net-connect-handle-econnrefused.js
    @Test func refusedConnectReportsEconnrefusedAfterConnecting() throws {
        let log = Log()
        withLoop { loop in
            let c = dial(closedPort(), loop: loop)
            c.on(.connect) { log("connect") }
            c.on(.error) { e in log("error \(e.code) connecting=\(c.connecting)") }
            c.on(.close) { e in log("close \(e.hadError)") }
        }
        #expect(log.entries == ["error ECONNREFUSED connecting=false", "close true"])
    }

    // node: test/sequential/test-net-better-error-messages-port.js
    @Test func refusedErrorCarriesAddressPortAndNodesMessage() throws {
        var error: NetError?
        let port = closedPort()
        withLoop { loop in
            dial(port, loop: loop).on(.error) { error = $0 }
        }
        let e = try #require(error)
        #expect(e.code == .ECONNREFUSED)
        #expect(e.message == "connect ECONNREFUSED 127.0.0.1:\(port)")
        #expect(e.errno == -111)
        #expect(e.syscall == "connect")
        #expect(e.address == "127.0.0.1")
        #expect(e.port == port)
        #expect("\(e)" == "Error: connect ECONNREFUSED 127.0.0.1:\(port)")
    }

    // node: test/sequential/test-net-connect-local-error.js
    @Test func refusedErrorNamesTheBoundLocalAddress() throws {
        var error: NetError?
        let port = closedPort()
        let localPort = closedPort()
        withLoop { loop in
            var options = SocketConnectOptions(port: port, host: "127.0.0.1")
            options.localAddress = "127.0.0.1"
            options.localPort = localPort
            do {
                try Net.connect(options, loop: loop).on(.error) { error = $0 }
            } catch {
                Issue.record("connect threw \(error)")
            }
        }
        let e = try #require(error)
        #expect(e.message == "connect ECONNREFUSED 127.0.0.1:\(port) - Local (127.0.0.1:\(localPort))")
        #expect(e.localAddress == "127.0.0.1" && e.localPort == localPort)
    }

    // node: test/sequential/test-net-reconnect-error.js — connect() again from the 'close'
    // listener works, each attempt giving 'error' then 'close'.
    @Test func reconnectFromCloseAfterRefusal() throws {
        let log = Log()
        let attempts = 20
        withLoop { loop in
            let port = closedPort()
            let c = dial(port, loop: loop)
            var tries = 1
            c.on(.error) { e in log("error \(e.code)") }
            c.on(.close) { e in
                log("close \(e.hadError)")
                if tries < attempts {
                    tries += 1
                    _ = try? c.connect(port: port, host: "127.0.0.1")
                }
            }
        }
        let expected = Array(repeating: ["error ECONNREFUSED", "close true"], count: attempts).flatMap { $0 }
        #expect(log.entries == expected)
    }

    // node: test/parallel/test-net-reconnect.js — the same socket connects again after a
    // clean 'close', with fresh byte counts and hadError false.
    @Test func reconnectAfterCleanClose() throws {
        var rounds: [String] = []
        withLoop { loop in
            let server = Net.createServer(loop: loop) { socket in
                socket.on(.data) { socket.end($0) }
            }
            listenLocal(server) { port in
                let c = Socket(loop: loop)
                var n = 0
                c.on(.connect) { c.write("round \(n)") }
                c.on(.data) { chunk in rounds.append("\(chunk.toString()) read=\(c.bytesRead) written=\(c.bytesWritten)") }
                c.on(.close) { e in
                    n += 1
                    if e.hadError { rounds.append("error close") }
                    if n < 5 { _ = try? c.connect(port: port, host: "127.0.0.1") } else { server.close() }
                }
                _ = try? c.connect(port: port, host: "127.0.0.1")
            }
        }
        #expect(rounds == (0..<5).map { "round \($0) read=7 written=7" })
    }

    // node: test/parallel/test-net-connect-options-port.js (the ports a Swift caller can pass)
    @Test func badConnectPortsThrowSynchronously() {
        let loop = EventLoop()
        for port in [-1, 65536, Int.max, Int.min] {
            do throws(NetError) {
                try Socket(loop: loop).connect(port: port, host: "127.0.0.1")
                Issue.record("port \(port) was accepted")
            } catch {
                #expect(error.code == .ERR_SOCKET_BAD_PORT)
                #expect(error.name == "RangeError")
                #expect(error.message == "Port should be >= 0 and < 65536. Received type number (\(port)).")
            }
        }
        loop.run()
        #expect(loop.liveHandles == 0)
    }

    // node: test/parallel/test-net-localerror.js
    @Test func badLocalAddressThrows() {
        let loop = EventLoop()
        var options = SocketConnectOptions(port: 80, host: "127.0.0.1")
        options.localAddress = "foobar"
        #expect(throws: NetError.self) { try Socket(loop: loop).connect(options) }
        do throws(NetError) { try Socket(loop: loop).connect(options) } catch {
            #expect(error.code == .ERR_INVALID_IP_ADDRESS)
            #expect(error.message == "Invalid IP address: foobar")
        }
        loop.run()
        #expect(loop.liveHandles == 0)
        #expect(loop.liveEmitters == 0)
    }
}
