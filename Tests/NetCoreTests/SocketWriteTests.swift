import Testing
@testable import NetCore

@Suite struct SocketWriteTests {
    // node: test/parallel/test-net-connect-buffer.js, test/parallel/test-net-connect-buffer2.js
    // Writes made while connecting wait for the connection. Meanwhile the socket is pending and
    // connecting with readyState "opening"; bytesWritten counts the UTF-8 bytes at once and does
    // not count them again when they go out; with highWaterMark 0 write() returns false. Once
    // closed the socket is pending again. (node v20: no 'drain' once end() was called.)
    @Test func writesWhileConnectingAreQueued() {
        let a = "L'État, c'est "
        let b = "moi"
        let log = Log()
        var received = Buffer()
        withLoop { loop in
            let server = Server(loop: loop) { s in
                s.on(.data) { received = Buffer.concat([received, $0]) }
                s.on(.end) {
                    log("server end")
                    s.end()
                }
            }
            server.on(.connection) { _ in server.close() }
            listenLocal(server) { port in
                let socket = Socket(SocketOptions(highWaterMark: 0), loop: loop)
                #expect(socket.pending)
                var connected = false
                do {
                    try socket.connect(port: port, host: "127.0.0.1") { connected = true }
                } catch {
                    Issue.record("connect threw \(error)")
                }
                #expect(socket.pending)
                #expect(socket.connecting)
                #expect(socket.readyState == "opening")
                let r = socket.write(a) { error in
                    log("write callback")
                    #expect(error == nil)
                    #expect(connected)
                    #expect(socket.bytesWritten == (a + b).utf8.count)
                    #expect(!socket.pending)
                }
                #expect(socket.bytesWritten == a.utf8.count)
                #expect(a.utf8.count == 15)  // É is two bytes: bytes, not characters
                #expect(r == false)
                #expect(socket.writableNeedDrain)
                socket.end(b)
                #expect(socket.bytesWritten == (a + b).utf8.count)
                #expect(socket.readyState == "opening")
                socket.on(.drain) { log("drain") }
                socket.on(.close) { event in
                    log("close")
                    #expect(!event.hadError)
                    #expect(socket.pending)
                    #expect(socket.bytesWritten == (a + b).utf8.count)
                }
                socket.resume()
            }
        }
        #expect(received.toString() == "L'État, c'est moi")
        #expect(log.entries.contains("write callback"))
        #expect(!log.entries.contains("drain"))
        #expect(log.entries.last == "close")
    }

    // node: test/parallel/test-net-bytes-stats.js
    // One socket connects three times in a row (reconnecting from 'close'); each connection
    // counts its own bytesWritten and the server side its bytesRead: 6 bytes each time.
    @Test func bytesStatsPerConnection() {
        var serverBytesRead: [Int] = []
        var clientBytesWritten: [Int] = []
        var closes: [Bool] = []
        withLoop { loop in
            let server = Server(loop: loop) { s in
                s.resume()
                s.on(.end) { serverBytesRead.append(s.bytesRead) }
            }
            listenLocal(server) { port in
                let socket = Socket(loop: loop)
                socket.on(.connect) {
                    socket.write("foo") { _ in socket.end("bar") }
                }
                socket.on(.finish) { clientBytesWritten.append(socket.bytesWritten) }
                socket.resume()
                socket.on(.close) { event in
                    closes.append(event.hadError)
                    if closes.count < 3 {
                        do {
                            try socket.connect(port: port, host: "127.0.0.1")
                        } catch {
                            Issue.record("reconnect threw \(error)")
                        }
                    } else {
                        server.close()
                    }
                }
                _ = try? socket.connect(port: port, host: "127.0.0.1")
            }
        }
        #expect(closes == [false, false, false])
        #expect(clientBytesWritten == [6, 6, 6])
        #expect(serverBytesRead == [6, 6, 6])
    }

    // node: test/parallel/test-net-bytes-read.js
    // bytesRead grows with every 'data' event, equals the total at 'end', and is still readable
    // after 'close', when the handle is gone.
    @Test func bytesReadGrowsWithEveryChunk() {
        let total = 1024 * 1024
        var prev = 0
        var chunks = 0
        var closed = false
        withLoop { loop in
            let server = Server(loop: loop) { s in
                s.end(Buffer(count: total))
            }
            server.on(.connection) { _ in server.close() }
            listenLocal(server) { port in
                let socket = Socket(loop: loop)
                _ = try? socket.connect(port: port, host: "127.0.0.1") {
                    socket.on(.data) { _ in
                        #expect(socket.bytesRead > prev)
                        prev = socket.bytesRead
                        chunks += 1
                    }
                    socket.on(.end) {
                        #expect(socket.bytesRead == prev)
                        #expect(prev == total)
                    }
                    socket.on(.close) { _ in
                        #expect(socket.handle == nil)
                        #expect(socket.bytesRead == total)
                        closed = true
                    }
                }
                socket.end()
            }
        }
        #expect(closed)
        #expect(chunks > 1)
    }

    // node: test/parallel/test-net-write-after-end-nt.js
    // After our own end() and the peer's FIN, write() returns false, its callback gets EPIPE
    // "This socket has been ended by the other party", and 'error' follows on a later tick,
    // after the callback (node v20 order: callback, 'error', 'close' with hadError).
    @Test func writeAfterBothEndsFailsWithEPIPE() {
        let log = Log()
        withLoop { loop in
            let server = Server(loop: loop) { $0.end() }
            listenLocal(server) { port in
                let client = Socket(loop: loop)
                _ = try? client.connect(port: port, host: "127.0.0.1") {
                    var hasError = false
                    client.on(.error) { error in
                        hasError = true
                        log("error \(error.code) \(error.message)")
                        #expect(error.errno == nil)
                        #expect(error.syscall == nil)
                        server.close()
                    }
                    client.on(.close) { log("close \($0.hadError)") }
                    client.on(.end) {
                        let r = client.write("hello") { error in
                            log("callback \(error?.code.rawValue ?? "nil")")
                            #expect(error?.name == "Error")
                        }
                        #expect(r == false)
                        #expect(!hasError, "the error must come on a later tick")
                        #expect(client.destroyed)
                        loop.nextTick { log("tick after write") }
                    }
                    client.end()
                }
            }
        }
        #expect(log.entries == [
            "callback EPIPE",
            "error EPIPE This socket has been ended by the other party",
            "tick after write",
            "close true",
        ])
    }

    // node: test/parallel/test-socket-write-after-fin-error.js
    // Without allowHalfOpen the server ends its side after the peer's FIN. A write once that end
    // has happened (here from 'finish') fails with EPIPE, not "write after end", and nothing of
    // it reaches the peer. A write after 'close' fails the same way, to the callback only
    // (node v20).
    @Test func writeAfterPeerFinWithoutHalfOpen() {
        var serverData = Buffer()
        var clientData = Buffer()
        var gotClientEnd = false
        var serverError: NetError?
        var callbackErrors: [String] = []
        withLoop { loop in
            let server = Server(loop: loop) { sock in
                sock.on(.error) { serverError = $0 }
                sock.on(.data) { serverData = Buffer.concat([serverData, $0]) }
                sock.on(.finish) {
                    #expect(sock.writableEnded)
                    let r = sock.write(serverData) { callbackErrors.append("finish: \($0?.code.rawValue ?? "nil")") }
                    #expect(r == false)
                }
                sock.on(.close) { event in
                    #expect(event.hadError)
                    let r = sock.write("again") { error in
                        callbackErrors.append("close: \(error?.code.rawValue ?? "nil")")
                        #expect(error?.message == "This socket has been ended by the other party")
                    }
                    #expect(r == false)
                }
            }
            server.on(.connection) { _ in server.close() }
            listenLocal(server) { port in
                let sock = Socket(loop: loop)
                sock.on(.data) { clientData = Buffer.concat([clientData, $0]) }
                sock.on(.end) { gotClientEnd = true }
                _ = try? sock.connect(port: port, host: "127.0.0.1")
                sock.write("hello1")
                sock.write("hello2")
                sock.write("hello3\n")
                sock.end("THUNDERMUSCLE!")
            }
        }
        #expect(clientData.count == 0)
        #expect(serverData.toString() == "hello1hello2hello3\nTHUNDERMUSCLE!")
        #expect(gotClientEnd)
        #expect(serverError?.code == .EPIPE)
        #expect(serverError?.message != "write after end")
        #expect(callbackErrors == ["finish: EPIPE", "close: EPIPE"])
    }

    // Writing after our own end() (the peer has not ended): ERR_STREAM_WRITE_AFTER_END "write
    // after end" to the callback, then as 'error'; the socket is destroyed at once
    // (node v20: write returns false, destroyed is true right after, callback before 'error').
    @Test func writeAfterEndFailsWithWriteAfterEnd() {
        let log = Log()
        withLoop { loop in
            let server = Server(loop: loop) { $0.resume() }
            listenLocal(server) { port in
                let client = Socket(loop: loop)
                _ = try? client.connect(port: port, host: "127.0.0.1") {
                    client.on(.error) { error in
                        log("error \(error.code) \(error.message)")
                        #expect(error.name == "Error")
                    }
                    client.on(.close) { event in
                        log("close \(event.hadError)")
                        server.close()
                    }
                    client.end()
                    let r = client.write("hello") { log("callback \($0?.code.rawValue ?? "nil")") }
                    #expect(r == false)
                    #expect(client.destroyed)
                    loop.nextTick { log("tick") }
                }
            }
        }
        #expect(log.entries == [
            "callback ERR_STREAM_WRITE_AFTER_END",
            "error ERR_STREAM_WRITE_AFTER_END write after end",
            "tick",
            "close true",
        ])
    }

    // node: test/parallel/test-net-socket-destroy-send.js (the write half): after destroy(),
    // write() returns false and only its callback hears ERR_STREAM_DESTROYED; no 'error'.
    @Test func writeAfterDestroyReportsToTheCallbackOnly() {
        let log = Log()
        withLoop { loop in
            let server = Server(loop: loop) { $0.resume() }
            listenLocal(server) { port in
                let client = Socket(loop: loop)
                _ = try? client.connect(port: port, host: "127.0.0.1") {
                    client.on(.error) { log("error \($0.code)") }
                    client.on(.close) { event in
                        log("close \(event.hadError)")
                        server.close()
                    }
                    #expect(client.destroy() === client)
                    let r = client.write("x") { error in
                        log("callback \(error?.code.rawValue ?? "nil")")
                        #expect(error?.message == "Cannot call write after a stream was destroyed")
                    }
                    #expect(r == false)
                }
            }
        }
        #expect(log.entries == ["callback ERR_STREAM_DESTROYED", "close false"])
    }
}

/// Writes larger than one `uv_buf_t` can describe are cut into pieces.
@Suite struct WriteSplitTests {
    @Test func oversizedWritesAreCutWithTheCallbackOnTheLastPiece() {
        let data = Buffer(patternBytes(10))
        var called = 0
        let pieces = WriteChunk.pieces(of: data, callback: { _ in called += 1 }, size: 12, maxBytes: 4)
        #expect(pieces.map(\.buffer.count) == [4, 4, 2])
        #expect(pieces.map { $0.callback == nil } == [true, true, false])
        #expect(pieces.map(\.size) == [4, 4, 4])
        #expect(Buffer.concat(pieces.map(\.buffer)) == data)
        pieces.last?.callback?(nil)
        #expect(called == 1)
    }
}
