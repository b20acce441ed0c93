import Testing
@testable import NetCore
import Net

/// Ending, destroying and resetting, at every stage of a socket's life.
@Suite struct SocketLifecycleTests {
    // node: test/parallel/test-net-connect-reset.js
    // resetAndDestroy() on a socket that never connected returns it and fails with
    // ERR_SOCKET_CLOSED "Socket is closed" as an 'error', then 'close' (node v20: error, close,
    // then a tick queued after the call; 'close' carries no hadError without a handle).
    @Test func resetOfAnUnconnectedSocketIsSocketClosed() {
        let log = Log()
        withLoop { loop in
            let s = Socket(loop: loop)
            s.on(.error) { log("error \($0.code) \($0.message) destroyed=\(s.destroyed)") }
            s.on(.close) { log("close \($0.hadError)") }
            log("returned self \((try? s.resetAndDestroy()) === s) destroyed=\(s.destroyed)")
            loop.nextTick { log("tick") }
        }
        #expect(log.entries == [
            "returned self true destroyed=true",
            "error ERR_SOCKET_CLOSED Socket is closed destroyed=true",
            "close false",
            "tick",
        ])
    }

    // node: test/parallel/test-net-connect-reset-after-destroy.js, test-net-socket-reset-send.js
    // On a connected socket resetAndDestroy().destroy() returns the socket; a later write's
    // callback gets ERR_STREAM_DESTROYED and no 'error' is emitted; the peer reads ECONNRESET.
    @Test func resetThenWriteReportsDestroyedAndThePeerSeesReset() {
        let log = Log()
        var peerError: NetError?
        withLoop { loop in
            let server = Net.createServer(loop: loop)
            server.on(.connection) { socket in
                socket.on(.error) { peerError = $0 }
                socket.on(.close) { _ in server.close() }
            }
            listenLocal(server) { port in
                let conn = dial(port, loop: loop)
                conn.on(.connect) {
                    log("chain \((try? conn.resetAndDestroy())?.destroy() === conn)")
                    conn.on(.error) { log("error \($0.code)") }
                    conn.write(Buffer("fzfzfzfzfz")) { error in
                        log("callback \(error?.code.rawValue ?? "nil") \(error?.message ?? "")")
                    }
                }
                conn.on(.close) { log("close \($0.hadError)") }
            }
        }
        #expect(log.entries == [
            "chain true", "callback ERR_STREAM_DESTROYED Cannot call write after a stream was destroyed", "close false",
        ])
        #expect(peerError?.code == .ECONNRESET)
        #expect(peerError?.message == "read ECONNRESET")
        #expect(peerError?.name == "Error")
    }

    // node: test/parallel/test-net-connect-reset-before-connected.js
    // resetAndDestroy() and then destroy() right after connect(): no 'connect', no 'error',
    // only 'close'.
    @Test func resetThenDestroyBeforeConnectedIsQuiet() {
        let log = Log()
        withLoop { loop in
            let server = Net.createServer(loop: loop)
            listenLocal(server) { port in
                let socket = dial(port, loop: loop) { log("connect") }
                socket.on(.error) { log("error \($0.code)") }
                socket.on(.close) { _ in log("close") }
                server.close()
                _ = try? socket.resetAndDestroy()
                socket.destroy()
            }
        }
        #expect(log.entries == ["close"])
    }

    // node: test/parallel/test-net-connect-reset-until-connected.js
    // resetAndDestroy() while still connecting waits for the connection: the socket is not
    // destroyed yet, 'connect' still comes, then the connection is reset, so the server side
    // reads ECONNRESET; the client closes without an error (checked against node v20).
    @Test func resetWhileConnectingResetsOnceConnected() {
        let log = Log()
        var peerError: NetError?
        withLoop { loop in
            let server = Net.createServer(loop: loop)
            server.on(.connection) { socket in
                socket.on(.error) { peerError = $0 }
                socket.on(.close) { _ in server.close() }
            }
            listenLocal(server) { port in
                let conn = dial(port, loop: loop)
                conn.on(.connect) { log("connect destroyed=\(conn.destroyed)") }
                conn.on(.error) { log("error \($0.code)") }
                conn.on(.close) { log("close \($0.hadError)") }
                log("returned self \((try? conn.resetAndDestroy()) === conn) destroyed=\(conn.destroyed) connecting=\(conn.connecting)")
            }
        }
        #expect(log.entries == [
            "returned self true destroyed=false connecting=true", "connect destroyed=false", "close false",
        ])
        #expect(peerError?.code == .ECONNRESET)
    }

    // node: test/parallel/test-net-socket-reset-twice.js, test-net-socket-destroy-twice.js
    // A refused connect emits one 'error'; resetting or destroying again from the 'error'
    // listener changes nothing: one 'close', with hadError.
    @Test(arguments: ["reset", "destroy"])
    func secondTeardownFromTheErrorListenerIsANoOp(_ how: String) {
        var errors: [String] = []
        var closes: [Bool] = []
        withLoop { loop in
            let conn = dial(closedPort(), loop: loop)
            conn.on(.error) { error in
                errors.append(error.code.rawValue)
                if how == "reset" { #expect((try? conn.resetAndDestroy()) === conn) } else { conn.destroy() }
            }
            conn.on(.close) { closes.append($0.hadError) }
        }
        #expect(errors == ["ECONNREFUSED"])
        #expect(closes == [true])
    }

    // node: test/parallel/test-net-write-cb-on-destroy-before-connect.js
    // Writes queued while connecting, then destroy(): no 'connect', no 'error', and every
    // queued write's callback gets ERR_SOCKET_CLOSED_BEFORE_CONNECTION, after 'close'
    // (node v20, corked or not: close, then each callback in order).
    @Test func writesQueuedBeforeConnectFailWhenDestroyed() {
        let log = Log()
        withLoop { loop in
            let server = Net.createServer(loop: loop)
            listenLocal(server) { port in
                let socket = Socket(loop: loop)
                socket.on(.connect) { log("connect") }
                socket.on(.error) { log("error \($0.code)") }
                socket.on(.close) { log("close \($0.hadError)") }
                _ = try? socket.connect(port: port, host: "127.0.0.1")
                #expect(socket.connecting)
                socket.write("foo") { log("cb1 \($0?.code.rawValue ?? "nil")") }
                socket.cork()
                socket.write("bar") { log("cb2 \($0?.code.rawValue ?? "nil")") }
                socket.write("baz") { log("cb3 \($0?.code.rawValue ?? "nil")") }
                socket.destroy()
                loop.nextTick { log("tick") }
                server.close()
            }
        }
        #expect(log.entries == [
            "tick", "close false",
            "cb1 ERR_SOCKET_CLOSED_BEFORE_CONNECTION",
            "cb2 ERR_SOCKET_CLOSED_BEFORE_CONNECTION",
            "cb3 ERR_SOCKET_CLOSED_BEFORE_CONNECTION",
        ])
    }

    // Destroying a connected socket while a large write is in flight (node v20): the in-flight
    // write's callback gets no error, then the writes queued behind it get
    // ERR_STREAM_DESTROYED, all after the ticks queued by the caller and before 'close'.
    // Writes queued while connecting to a port that refuses (node v20): 'error', 'close', then
    // the first write's callback gets ERR_SOCKET_CLOSED_BEFORE_CONNECTION and the ones behind it
    // the connect error.
    @Test func writesQueuedBeforeARefusedConnectGetTheConnectError() {
        let log = Log()
        withLoop { loop in
            let socket = Socket(loop: loop)
            socket.on(.error) { log("error \($0.code)") }
            socket.on(.close) { log("close \($0.hadError)") }
            _ = try? socket.connect(port: closedPort(), host: "127.0.0.1")
            for i in 1...3 { socket.write("x") { log("w\(i) \($0?.code.rawValue ?? "nil")") } }
        }
        #expect(log.entries == [
            "error ECONNREFUSED", "close true",
            "w1 ERR_SOCKET_CLOSED_BEFORE_CONNECTION", "w2 ECONNREFUSED", "w3 ECONNREFUSED",
        ])
    }

    @Test func destroyWithAWriteInFlight() {
        let log = Log()
        withLoop { loop in
            var serverSide: Socket?
            let server = Net.createServer(loop: loop) { $0.pause() }
            server.on(.connection) { socket in
                serverSide = socket
                server.close()
            }
            listenLocal(server) { port in
                let c = dial(port, loop: loop)
                c.on(.connect) {
                    c.write(Buffer(count: 32 << 20)) { log("big \($0?.code.rawValue ?? "nil")") }
                    c.write("a") { log("a \($0?.code.rawValue ?? "nil")") }
                    c.write("b") { log("b \($0?.code.rawValue ?? "nil")") }
                    c.destroy()
                    loop.nextTick { log("tick") }
                }
                c.on(.close) { _ in
                    log("close")
                    serverSide?.destroy()
                    serverSide = nil
                }
            }
        }
        #expect(log.entries == ["tick", "big nil", "a ERR_STREAM_DESTROYED", "b ERR_STREAM_DESTROYED", "close"])
    }

    // node: test/parallel/test-net-error-twice.js
    // The client goes away and the server writes 10 MB to it: the server side emits exactly
    // one 'error' (EPIPE or ECONNRESET), then closes.
    @Test func oneErrorForAWriteToAVanishedPeer() {
        var errors: [String] = []
        var serverSideClosed = false
        withLoop { loop in
            var clientSocket: Socket?
            var serverSocket: Socket?
            func ready() {
                guard let c = clientSocket, let s = serverSocket else { return }
                c.destroy()
                s.write(Buffer(count: 10 << 20, fill: 0x62))
                clientSocket = nil
                serverSocket = nil
            }
            let server = Server(loop: loop)
            server.on(.connection) { conn in
                conn.on(.error) { errors.append($0.code.rawValue) }
                conn.on(.close) { _ in
                    serverSideClosed = true
                    server.close()
                }
                serverSocket = conn
                ready()
            }
            listenLocal(server) { port in
                let client = dial(port, loop: loop)
                client.on(.connect) {
                    clientSocket = client
                    ready()
                }
            }
        }
        #expect(errors.count == 1)
        #expect(errors.allSatisfy { ["EPIPE", "ECONNRESET"].contains($0) })
        #expect(serverSideClosed)
    }

    // node: test/parallel/test-net-socket-end-before-connect.js
    // end() right after connect() still connects, sends FIN and closes. The order is Node's:
    // connect, ready, the end() callback before the 'finish' listeners, finish, end, close.
    @Test func endBeforeConnectStillConnectsAndCloses() {
        let log = Log()
        withLoop { loop in
            let server = Net.createServer(loop: loop) { $0.resume() }
            listenLocal(server) { port in
                let s = dial(port, loop: loop)
                s.on(.connect) { log("connect") }
                s.on(.ready) { log("ready") }
                s.on(.finish) { log("finish destroyed=\(s.destroyed)") }
                s.on(.end) { log("end") }
                s.on(.error) { log("error \($0.code)") }
                s.on(.close) { e in
                    log("close \(e.hadError)")
                    server.close()
                }
                s.end { log("end callback") }
                s.resume()
            }
        }
        #expect(log.entries == [
            "connect", "ready", "end callback", "finish destroyed=false", "end", "close false",
        ])
    }

    // node: test/parallel/test-net-socket-end-callback.js
    // end(callback), end(data, callback) and end(string, encoding, callback) all call back.
    @Test func everyFormOfEndCallsBack() {
        var calls: [String] = []
        withLoop { loop in
            let server = Net.createServer(loop: loop) { $0.resume() }
            func called(_ form: String) {
                calls.append(form)
                if calls.count == 3 { server.close() }
            }
            listenLocal(server) { port in
                let forms: [(String, (Socket) -> Void)] = [
                    ("plain", { s in s.end { called("plain") } }),
                    ("data", { s in s.end(Buffer("foo")) { called("data") } }),
                    ("string", { s in s.end("foo", encoding: .utf8) { called("string") } }),
                ]
                for (_, form) in forms {
                    let socket = dial(port, loop: loop)
                    socket.on(.connect) { form(socket) }
                    socket.resume()
                }
            }
        }
        #expect(calls.sorted() == ["data", "plain", "string"])
    }

    // node: test/parallel/test-net-end-without-connect.js (v23 form)
    // end(callback) on a socket that never connected does not throw: it returns the socket,
    // the callback runs, and the socket is no longer writable. (node v20 never calls back
    // here; v23's test requires the call.)
    @Test func endWithoutConnectCallsBack() {
        var writableInCallback: Bool?
        var returnedSelf = false
        withLoop { loop in
            let sock = Socket(loop: loop)
            returnedSelf = sock.end { writableInCallback = sock.writable } === sock
            #expect(!sock.writable)
        }
        #expect(returnedSelf)
        #expect(writableInCallback == false)
    }

    // node: test/parallel/test-net-after-close.js
    // In 'close' the handle is gone, and setNoDelay, setKeepAlive, bufferSize, pause, resume,
    // address() and the remote address and port are all still safe to use. The remote address
    // was never read while connected, so, as in node 20 (checked), it is undefined now.
    @Test func callsAfterCloseAreHarmless() {
        var checks: [String] = []
        withLoop { loop in
            let server = Net.createServer(loop: loop) { $0.end() }
            listenLocal(server) { port in
                let c = dial(port, loop: loop)
                c.resume()
                c.on(.close) { _ in
                    checks.append("handle \(c.handle == nil ? "nil" : "set")")
                    c.setNoDelay()
                    c.setKeepAlive()
                    checks.append("bufferSize \(c.bufferSize.map(String.init) ?? "undefined")")
                    c.pause()
                    c.resume()
                    checks.append("address \(c.address().map { "\($0)" } ?? "nil")")
                    checks.append("remote \(c.remoteAddress ?? "nil") \(c.remotePort == port)")
                    server.close()
                }
            }
        }
        #expect(checks == ["handle nil", "bufferSize undefined", "address nil", "remote nil false"])
    }
}
