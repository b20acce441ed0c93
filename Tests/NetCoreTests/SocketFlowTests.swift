import Testing
@testable import NetCore
import Net

/// Reading at the reader's pace: pause/resume, slow readers, data written around connect,
/// half-open exchanges.
@Suite struct SocketFlowTests {
    // node: test/parallel/test-net-write-slow.js
    // A server queues ten 200 kB writes and ends; its client pauses after every chunk and
    // resumes 20 ms later. Every byte arrives, every write callback runs, and the server's 1 s
    // idle timeout never fires, because the queue keeps draining.
    @Test func slowReaderGetsEverythingAndTheWriterNeverTimesOut() {
        let size = 200_000
        let n = 10
        var flushed = 0
        var received = 0
        var timeouts = 0
        var pauses = 0
        withLoop(timeout: 10_000) { loop in
            let server = Net.createServer(loop: loop) { socket in
                socket.setNoDelay()
                socket.setTimeout(1000)
                socket.on(.timeout) { timeouts += 1 }
                let chunk = Buffer(count: size, fill: UInt8(ascii: "a"))
                for _ in 0..<n {
                    socket.write(chunk) { _ in
                        flushed += 1
                        if flushed == n { socket.setTimeout(0) }
                    }
                }
                socket.end()
            }
            listenLocal(server) { port in
                let conn = dial(port, loop: loop)
                conn.on(.data) { chunk in
                    received += chunk.count
                    conn.pause()
                    pauses += 1
                    loop.setTimeout(20) { conn.resume() }
                }
                conn.on(.end) { server.close() }
            }
        }
        #expect(received == size * n)
        #expect(flushed == n)
        #expect(timeouts == 0)
        #expect(pauses > 1)
    }

    // node: test/parallel/test-net-throttle.js
    // The server writes 1 KiB strings until write() reports backpressure, then two more; none
    // is lost and writableLength never exceeds what was written. The client decodes ASCII,
    // pauses after each chunk and checks that nothing arrives while it is paused.
    @Test func writerStopsAtBackpressureAndNothingIsLost() {
        let body = String(repeating: "C", count: 1024)
        var total = 0
        var chars = 0
        var pauses = 0
        var lengthWithinTotal = false
        var arrivedWhilePaused = false
        withLoop(timeout: 10_000) { loop in
            let server = Net.createServer(loop: loop) { connection in
                var n = 1
                while connection.write(body) { n += 1 }
                connection.write(body)
                connection.write(body)
                n += 2
                total = n * body.utf8.count
                lengthWithinTotal = (connection.bufferSize ?? 0) >= 0 && connection.writableLength <= total
                connection.end()
            }
            listenLocal(server) { port in
                let client = dial(port, loop: loop)
                client.setEncoding(.ascii)
                var paused = false
                client.on(.text) { text in
                    chars += text.utf8.count
                    guard !paused else { return }
                    client.pause()
                    paused = true
                    pauses += 1
                    let seen = chars
                    loop.setTimeout(5) {
                        if chars != seen { arrivedWhilePaused = true }
                        client.resume()
                        paused = false
                    }
                }
                client.on(.end) {
                    server.close()
                    client.end()
                }
            }
        }
        #expect(total > 0)
        #expect(chars == total)
        #expect(pauses > 1)
        #expect(lengthWithinTotal)
        #expect(!arrivedWhilePaused)
    }

    // node: test/parallel/test-net-stream.js (first part)
    // Destroying an accepted socket twice counts it out of the server's connections once.
    @Test func destroyingTwiceCountsTheConnectionOutOnce() {
        var counts: [Int] = []
        withLoop { loop in
            let server = Server(loop: loop)
            server.on(.connection) { socket in
                counts.append(socket.server?.connections ?? -1)
                socket.destroy()
                counts.append(socket.server?.connections ?? -1)
                socket.destroy()
                counts.append(socket.server?.connections ?? -1)
            }
            listenLocal(server) { port in
                let c = dial(port, loop: loop)
                c.resume()
                c.on(.error) { _ in }
                c.on(.close) { _ in server.close() }
            }
        }
        #expect(counts == [1, 0, 0])
    }

    // node: test/parallel/test-net-stream.js (second part)
    // The server queues 20 MB; the client pauses on its first chunk and destroys itself 20 ms
    // later. The server side fails or closes, the server closes, and no connection is left
    // counted.
    @Test func readerThatGoesAwayMidStreamLetsTheServerClose() {
        var serverClosed = false
        var connectionsLeft = -1
        var firstChunks = 0
        withLoop(timeout: 10_000) { loop in
            let server = Net.createServer(loop: loop)
            server.on(.connection) { socket in
                socket.setNoDelay()
                socket.on(.error) { _ in socket.destroy() }
                socket.on(.close) { _ in
                    connectionsLeft = server.connections
                    server.close()
                }
                let chunk = Buffer(count: 2_000_000, fill: UInt8(ascii: "a"))
                for _ in 0..<10 { socket.write(chunk) { _ in } }
                socket.end()
            }
            server.on(.close) { serverClosed = true }
            listenLocal(server) { port in
                let conn = dial(port, loop: loop)
                conn.on(.data) { _ in
                    firstChunks += 1
                    conn.pause()
                    loop.setTimeout(20) { conn.destroy() }
                }
            }
        }
        #expect(firstChunks == 1)
        #expect(serverClosed)
        #expect(connectionsLeft == 0)
    }

    // node: test/parallel/test-net-pause-resume-connecting.js
    // pause() and resume() called while still connecting: the last call decides whether data
    // flows once connected. resume / pause+resume / resume+pause+resume get the server's data;
    // pause / resume+resume+pause get none (checked 100 ms later, when they drop their data
    // listener and resume so the connection can finish).
    @Test func pauseAndResumeBeforeConnectingDecideTheFlow() {
        let sequences: [[Bool]] = [[true], [false, true], [false], [true, false, true], [true, true, false]]
        var dataBy: [Int] = []
        var connections = 0
        withLoop { loop in
            let server = Server(loop: loop)
            server.on(.connection) { conn in
                connections += 1
                conn.end("This was the year he fell to pieces.")
                if connections == sequences.count { server.close() }
            }
            listenLocal(server) { port in
                for (i, steps) in sequences.enumerated() {
                    let conn = dial(port, loop: loop)
                    for resume in steps {
                        if resume { conn.resume() } else { conn.pause() }
                    }
                    conn.on(.data) { _ in dataBy.append(i) }
                    if steps.last == false {
                        loop.setTimeout(100) {
                            conn.removeAllListeners(.data)
                            conn.resume()
                        }
                    }
                }
            }
        }
        #expect(connections == 5)
        #expect(dataBy.sorted() == [0, 1, 3])
    }

    // node: test/parallel/test-net-connect-paused-connection.js
    // A connected client that is paused keeps nothing running: with the server and its side
    // of the connection unref'd, the loop ends by itself (before an unref'd 1 s guard).
    @Test func pausedConnectionLetsTheLoopEnd() {
        let loop = EventLoop()
        var serverSide: Socket?
        var client: Socket?
        var connected = false
        var server: Server? = Net.createServer(loop: loop) { conn in
            conn.unref()
            serverSide = conn
        }
        server?.unref()
        if let server {
            listenLocal(server) { port in
                client = dial(port, loop: loop) { connected = true }
                client?.pause()
            }
        }
        #expect(runEndsByItself(loop, within: 1000))
        #expect(connected)
        #expect(serverSide != nil)
        client?.destroy()
        serverSide?.destroy()
        server?.close()
        client = nil
        serverSide = nil
        server = nil
        loop.run()
        #expect(loop.liveHandles == 0)
        #expect(loop.liveEmitters == 0)
    }

    // node: test/parallel/test-net-write-connect-write.js
    // "before" written while connecting and "after" written on 'connect' come back from an echo
    // server in that order.
    @Test func writesBeforeAndAfterConnectArriveInOrder() {
        var received = ""
        withLoop { loop in
            let server = Net.createServer(loop: loop) { $0.pipe($0) }
            listenLocal(server) { port in
                let conn = dial(port, loop: loop)
                conn.setEncoding(.utf8)
                conn.write("before")
                conn.on(.connect) { conn.write("after") }
                conn.on(.text) { text in
                    received += text
                    if received.utf8.count >= 11 { conn.end() }
                }
                conn.on(.end) { server.close() }
            }
        }
        #expect(received == "beforeafter")
    }

    // node: test/parallel/test-net-socket-close-after-end.js
    // The server side ends at once but reads nothing for 100 ms; its 'close' still comes after
    // its 'end', which waits for the late reader.
    @Test func closeComesAfterEndEvenWhenDataIsReadLate() {
        let log = Log()
        withLoop { loop in
            let server = Net.createServer(loop: loop)
            server.on(.connection) { socket in
                loop.setTimeout(100) {
                    log("read")
                    socket.on(.data) { log("data \($0.toString())") }
                }
                socket.on(.end) { log("end") }
                socket.on(.close) { _ in
                    log("close")
                    server.close()
                }
                socket.end("foo")
            }
            listenLocal(server) { port in
                let client = dial(port, loop: loop)
                client.on(.connect) { client.end("foo") }
                client.resume()
            }
        }
        #expect(log.entries == ["read", "data foo", "end", "close"])
    }

    // node: test/parallel/test-net-writable.js
    // At 'end' (the peer's FIN, our side not ended yet) the socket is still writable, and a
    // write there is accepted without an error.
    @Test func stillWritableAtEnd() {
        var writableAtEnd: Bool?
        var writeError: NetError??
        withLoop { loop in
            let server = Net.createServer(loop: loop) { s in
                s.resume()
                s.end()
            }
            server.on(.connection) { _ in server.close() }
            listenLocal(server) { port in
                let socket = dial(port, loop: loop)
                socket.resume()
                socket.on(.error) { Issue.record("unexpected error \($0)") }
                socket.on(.end) {
                    writableAtEnd = socket.writable
                    socket.write("hello world") { writeError = $0 }
                }
            }
        }
        #expect(writableAtEnd == true)
        #expect(writeError == .some(nil))
    }

    // node: test/parallel/test-net-connect-options-allowhalfopen.js
    // Six clients with allowHalfOpen, made through every connect shape (with the connect
    // callback or a 'connect' listener). The half-open server ends at once; 50 ms after its
    // 'end' each client is not readable but still writable, its write returns true and reaches
    // the server, then it ends. Each side sees 'end' exactly once, and every client closes.
    @Test func halfOpenClientsOfEveryConnectShape() {
        let variants = 6
        var serverEnds: [String: Int] = [:]
        var clientCloses = 0
        var clientChecks: [String] = []
        var serverClosed = false
        withLoop { loop in
            let server = Server(ServerOptions(allowHalfOpen: true), loop: loop)
            server.on(.connection) { socket in
                var id = ""
                socket.on(.data) { id += $0.toString() }
                socket.on(.end) {
                    serverEnds[id, default: 0] += 1
                    if serverEnds.values.reduce(0, +) == variants {
                        loop.setTimeout(50) { server.close() }
                    }
                }
                socket.end()
            }
            server.on(.close) { serverClosed = true }
            listenLocal(server) { port in
                var options = SocketConnectOptions(port: port, host: "127.0.0.1")
                options.allowHalfOpen = true
                func onConnect(_ index: Int, _ client: Socket) {
                    client.resume()
                    var ends = 0
                    client.on(.end) {
                        ends += 1
                        loop.setTimeout(50) {
                            clientChecks.append(
                                "\(index) ends=\(ends) r=\(client.readable) w=\(client.writable) write=\(client.write(String(index)))")
                            client.end()
                        }
                    }
                    client.on(.close) { _ in clientCloses += 1 }
                }
                do {
                    var c1: Socket?
                    c1 = try Net.connect(options, loop: loop) { if let c1 { onConnect(1, c1) } }
                    let c2 = try Net.connect(options, loop: loop)
                    c2.once(.connect) { onConnect(2, c2) }
                    var c3: Socket?
                    c3 = try Net.createConnection(options, loop: loop) { if let c3 { onConnect(3, c3) } }
                    let c4 = try Net.createConnection(options, loop: loop)
                    c4.once(.connect) { onConnect(4, c4) }
                    let c5 = Socket(options.socketOptions, loop: loop)
                    try c5.connect(options) { onConnect(5, c5) }
                    let c6 = Socket(options.socketOptions, loop: loop)
                    try c6.connect(options)
                    c6.once(.connect) { onConnect(6, c6) }
                } catch {
                    Issue.record("connect threw \(error)")
                }
            }
        }
        #expect(clientChecks.sorted() == (1...variants).map { "\($0) ends=1 r=false w=true write=true" })
        #expect(serverEnds == Dictionary(uniqueKeysWithValues: (1...variants).map { ("\($0)", 1) }))
        #expect(clientCloses == variants)
        #expect(serverClosed)
    }
}

/// Runs `loop` until it has nothing ref'ed left, and tells whether that happened before an
/// unref'd guard of `ms` milliseconds fired (the guard stops the loop if it does).
func runEndsByItself(_ loop: EventLoop, within ms: UInt64) -> Bool {
    var fired = false
    let guardTimer = Timeout(loop: loop) {
        fired = true
        loop.stop()
    }
    guardTimer.unref()
    guardTimer.start(timeout: ms)
    loop.run()
    guardTimer.close()
    return !fired
}
