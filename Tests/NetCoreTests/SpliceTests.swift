import Testing
import Glibc
@testable import NetCore
import Net

/// `pipe` between two sockets moves the bytes in the kernel (`Socket+Splice.swift`) while nothing
/// can see the difference, and goes back to ordinary reads the moment something could: every test
/// here checks the bytes each side gets, byte for byte and in order, and the counters and events
/// Node has, with splicing on (and, for the control, off).
@Suite struct SpliceTests {
    enum Transport: CaseIterable { case tcp, unix }

    // A proxy's two legs, as `net-echo --proxy-to` has them, in front of an echo: 4 MiB come back
    // exact, the proxy's counters are Node's, and most of the bytes moved in the kernel.
    @Test(arguments: Transport.allCases)
    func proxiedBytesMoveInTheKernel(_ transport: Transport) throws {
        let payload = Buffer(patternBytes(4 << 20))
        var received: [Buffer] = []
        var events: [String] = []
        var counters: [String: Int] = [:]
        var spliced = 0
        try withSpliceProxy(transport, backend: { $0.pipe($0) }, proxied: { c, u in
            c.on(.close) { _ in
                counters["c.read"] = c.bytesRead
                counters["c.written"] = c.bytesWritten
                counters["u.read"] = u.bytesRead
                counters["u.written"] = u.bytesWritten
            }
        }) { loop, dial, stop in
            let client = dial()
            client.on(.data) { received.append($0) }
            client.on(.end) { events.append("end") }
            client.on(.close) { _ in
                events.append("close")
                spliced = loop.splicedBytes
                stop()
            }
            client.end(payload)
        }
        #expect(same(Buffer.concat(received), payload), "received: \(Buffer.concat(received).count) bytes")
        #expect(events == ["end", "close"])
        #expect(counters == ["c.read": payload.count, "c.written": payload.count,
                             "u.read": payload.count, "u.written": payload.count])
        // Both legs carry 4 MiB; only the first writes (made while the upstream connects) and
        // what a full kernel buffer refuses are copied.
        #expect(spliced > payload.count, "only \(spliced) of \(2 * payload.count) bytes were spliced")
    }

    // Eight proxied connections at once, each with its own bytes: the loop's one kernel pipe
    // carries them all, and every client gets exactly its own back.
    @Test func concurrentConnectionsShareTheLoopsPipe() throws {
        let payloads = (0..<8).map { Buffer(patternBytes(512 << 10, seed: UInt64(100 + $0))) }
        var received = [[Buffer]](repeating: [], count: payloads.count)
        var closed = 0
        var spliced = 0
        var pending = -1
        try withSpliceProxy(.tcp, backend: { $0.pipe($0) }) { loop, dial, stop in
            for (i, payload) in payloads.enumerated() {
                let client = dial()
                client.on(.data) { received[i].append($0) }
                client.on(.close) { _ in
                    closed += 1
                    guard closed == payloads.count else { return }
                    spliced = loop.splicedBytes
                    pending = loop.kernelPipe?.pendingBytes ?? -1
                    stop()
                }
                client.end(payload)
            }
        }
        for (i, payload) in payloads.enumerated() {
            #expect(same(Buffer.concat(received[i]), payload), "client \(i): \(Buffer.concat(received[i]).count) bytes")
        }
        #expect(spliced > payloads.count * (512 << 10), "only \(spliced) bytes were spliced")
        #expect(pending == 0)
    }

    // node: pipe pauses the source when `write` answers false and resumes it on 'drain'; a
    // write the kernel takes whole answers true, whatever its size. The backend reads in
    // 256 KiB bursts: after each, unless the source is paused already, it stops and reads
    // again only once the source has paused (or has ended). The kernel buffers between the destination and the backend are made small
    // (16 KiB asked for each way), so each stop fills them and pauses the source. Every pause is then
    // answered by one 'drain' and one 'resume', in that order, spliced and copied alike; nothing
    // drains while the source flows; and what waits in the destination's queue when the source
    // pauses is at most one pipeful (a splice's rest) or one read (a copied chunk).
    @Test(arguments: [true, false])
    func destinationDrainsAsForWrittenChunks(_ splices: Bool) throws {
        let payload = Buffer(patternBytes(4 << 20, seed: 7))
        let burst = 256 << 10
        var atBackend: [Buffer] = []
        var events: [String] = []
        var drainsWhileFlowing = 0
        var mostQueuedAtPause = 0
        var spliced = 0
        var sourceEnded = false
        let backendSocket = SocketBox(), source = SocketBox()
        try withSpliceProxy(.tcp, splices: splices, twoWay: false, upstreamHighWaterMark: 1024, backend: { socket in
            backendSocket.socket = socket
            socket.on(.close) { _ in backendSocket.socket = nil }
            setKernelBuffer(of: socket, SO_RCVBUF, to: 16 << 10)
            var sinceStop = 0
            socket.pause()
            socket.on(.data) { chunk in
                atBackend.append(chunk)
                sinceStop += chunk.count
                if sinceStop >= burst && !sourceEnded && source.socket?.isPaused() == false {
                    sinceStop = 0
                    socket.pause()
                }
            }
        }, proxied: { c, u in
            source.socket = c
            c.on(.close) { _ in source.socket = nil }
            c.on(.pause) {
                events.append("pause")
                mostQueuedAtPause = max(mostQueuedAtPause, u.writableLength)
                backendSocket.socket?.resume()
            }
            c.on(.resume) { events.append("resume") }
            u.on(.connect) { setKernelBuffer(of: u, SO_SNDBUF, to: 16 << 10) }
            u.on(.drain) {
                events.append("drain")
                if !c.isPaused() { drainsWhileFlowing += 1 }
            }
            c.on(.end) {
                spliced = c.loop.splicedBytes
                sourceEnded = true
                backendSocket.socket?.resume()
            }
        }) { _, dial, stop in
            let client = dial()
            client.on(.close) { _ in stop() }
            client.end(payload)
        }
        #expect(same(Buffer.concat(atBackend), payload), "atBackend: \(Buffer.concat(atBackend).count) bytes")
        // The last pause is the unpipe when the destination finishes (as in Node).
        let pauses = events.filter { $0 == "pause" }.count - 1
        #expect(pauses >= 2, "the source paused \(pauses) times for backpressure: \(events)")
        // pipe's own first resume, then one pause, drain, resume per pause, then that unpipe.
        let expected = ["resume"] + Array(repeating: ["pause", "drain", "resume"], count: pauses).flatMap { $0 } + ["pause"]
        #expect(events == expected)
        #expect(drainsWhileFlowing == 0)
        #expect(mostQueuedAtPause > 0 && mostQueuedAtPause <= Int(KernelPipe.preferredSize),
                "\(mostQueuedAtPause) bytes queued when the source paused")
        if splices { #expect(spliced > 0) } else { #expect(spliced == 0) }
    }

    // The upstream leg of a proxy starts reading while its destination still connects, so it
    // reads as usual at first; once the destination is connected with nothing queued, it
    // splices, even if no write ever had to wait.
    @Test func sourceSplicesOnceItsDestinationConnects() throws {
        let chunk = Buffer(patternBytes(8 << 10, seed: 8))
        let count = 100
        var received = 0
        var splicedAtEnd = 0
        let client = SocketBox()
        try withSpliceProxy(.tcp, twoWay: false, backend: { socket in
            // One chunk in flight at a time, so no read is large enough to fill the destination
            // (which would pause the source and make it splice on 'drain' instead).
            socket.on(.data) { data in
                received += data.count
                guard received % chunk.count == 0, let c = client.socket else { return }
                if received < count * chunk.count { c.write(chunk) } else { c.end() }
            }
            socket.on(.end) { splicedAtEnd = socket.loop.splicedBytes }
        }, proxied: { _, u in
            // The client sends only once the upstream is connected.
            u.once(.connect) { client.socket?.write(chunk) }
        }) { _, dial, stop in
            client.hold(dial(), stoppingAtClose: stop)
        }
        #expect(received == count * chunk.count)
        #expect(splicedAtEnd > count * chunk.count / 2, "only \(splicedAtEnd) of \(count * chunk.count) bytes spliced")
    }

    // A kernel that refuses to splice (a sandbox filtering the call, say): the bytes are read
    // and written as usual instead, none lost, and the loop stops trying. The refusal is real:
    // the loop's "pipe" here is a socket pair, which splice(2) rejects with EINVAL.
    @Test func refusedSpliceFallsBackToCopying() throws {
        let payload = Buffer(patternBytes(1 << 20, seed: 9))
        var received: [Buffer] = []
        var unsupported = false
        var spliced = -1
        var fds: [Int32] = [-1, -1]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0, &fds) == 0)
        try withSpliceProxy(.tcp, backend: { $0.pipe($0) }) { loop, dial, stop in
            loop.kernelPipe = KernelPipe(readEnd: fds[0], writeEnd: fds[1], capacity: 65536)
            let client = dial()
            client.on(.data) { received.append($0) }
            client.on(.close) { _ in
                unsupported = loop.spliceUnsupported
                spliced = loop.splicedBytes
                stop()
            }
            client.end(payload)
        }
        #expect(same(Buffer.concat(received), payload), "received: \(Buffer.concat(received).count) bytes")
        #expect(unsupported)
        #expect(spliced == 0)
    }

    // node: socket.setTimeout counts reads and writes as activity. Spliced bytes are both: while
    // they flow (600 ms, a chunk every 10 ms) neither proxy socket times out at 250 ms; once the
    // client goes quiet, each times out once.
    @Test func splicedBytesKeepIdleTimeoutsAway() throws {
        let chunk = Buffer(patternBytes(32 << 10, seed: 10))
        let rounds = 60
        var timeouts: [String] = []
        var timeoutsWhileFlowing = 0
        var flowing = true
        var spliced = 0
        let client = SocketBox()
        try withSpliceProxy(.tcp, twoWay: false, backend: { socket in
            socket.on(.data) { _ in }
        }, proxied: { c, u in
            for (name, socket) in [("client side", c), ("upstream", u)] {
                socket.setTimeout(250) {
                    timeouts.append(name)
                    if flowing { timeoutsWhileFlowing += 1 }
                    spliced = socket.loop.splicedBytes
                    if timeouts.count == 2 { client.socket?.end() }
                }
            }
            var sent = 0
            var sender: Timeout?
            sender = c.loop.setInterval(10) {
                guard let socket = client.socket, sent < rounds else {
                    flowing = false
                    sender?.close()
                    sender = nil
                    return
                }
                socket.write(chunk)
                sent += 1
            }
        }) { _, dial, stop in
            client.hold(dial(), stoppingAtClose: stop)
        }
        #expect(timeoutsWhileFlowing == 0)
        #expect(timeouts.sorted() == ["client side", "upstream"])
        #expect(spliced > rounds * chunk.count / 2, "only \(spliced) bytes spliced")
    }

    // The control: with splicing off the same proxy copies every byte, so the counter above
    // counts what the kernel moved and nothing else.
    @Test func splicingOffCopiesEverything() throws {
        let payload = Buffer(patternBytes(1 << 20))
        var received: [Buffer] = []
        var spliced = -1
        try withSpliceProxy(.tcp, splices: false, backend: { $0.pipe($0) }) { loop, dial, stop in
            let client = dial()
            client.on(.data) { received.append($0) }
            client.on(.close) { _ in
                spliced = loop.splicedBytes
                stop()
            }
            client.end(payload)
        }
        #expect(same(Buffer.concat(received), payload), "received: \(Buffer.concat(received).count) bytes")
        #expect(spliced == 0)
    }

    // node: a 'data' listener added to a piped source sees what is read from then on, and the
    // destination still gets everything, in order. Here it is added after the first mebibyte
    // went through in the kernel, and the client sends the second only then.
    @Test(arguments: Transport.allCases)
    func dataListenerAddedWhileSplicingSeesTheRest(_ transport: Transport) throws {
        let first = Buffer(patternBytes(1 << 20, seed: 1))
        let second = Buffer(patternBytes(1 << 20, seed: 2))
        var atBackend: [Buffer] = []
        var seen: [Buffer] = []
        var splicedBeforeListener = 0
        var proxySide: Socket?
        let client = SocketBox()
        try withSpliceProxy(transport, twoWay: false, backend: { socket in
            var total = 0
            socket.on(.data) { chunk in
                atBackend.append(chunk)
                total += chunk.count
                if total == first.count, let c = proxySide {
                    splicedBeforeListener = socket.loop.splicedBytes
                    c.on(.data) { seen.append($0) }
                    proxySide = nil
                    client.socket?.end(second)
                }
            }
        }, proxied: { c, _ in proxySide = c }) { _, dial, stop in
            let socket = client.hold(dial(), stoppingAtClose: stop)
            socket.write(first)
        }
        #expect(same(Buffer.concat(atBackend), Buffer.concat([first, second])), "atBackend: \(Buffer.concat(atBackend).count) bytes")
        #expect(same(Buffer.concat(seen), second), "seen: \(Buffer.concat(seen).count) bytes")
        #expect(splicedBeforeListener > first.count / 2, "only \(splicedBeforeListener) bytes spliced first")
    }

    // node: after `unpipe` the destination gets nothing more, and the source's own listener
    // gets the rest.
    @Test func unpipeWhileSplicingStopsForwarding() throws {
        let first = Buffer(patternBytes(1 << 20, seed: 3))
        let second = Buffer(patternBytes(256 << 10, seed: 4))
        var atBackend: [Buffer] = []
        var seen: [Buffer] = []
        var proxySide: (Socket, Socket)?
        let client = SocketBox()
        try withSpliceProxy(.tcp, twoWay: false, backend: { socket in
            var total = 0
            socket.on(.data) { chunk in
                atBackend.append(chunk)
                total += chunk.count
                if total == first.count, let (c, u) = proxySide {
                    proxySide = nil
                    c.unpipe(u)
                    // As in Node, `unpipe` paused the source, and a listener does not resume it.
                    c.on(.data) { seen.append($0) }
                    c.resume()
                    c.on(.end) { u.end() }
                    client.socket?.end(second)
                }
            }
        }, proxied: { c, u in proxySide = (c, u) }) { _, dial, stop in
            let socket = client.hold(dial(), stoppingAtClose: stop)
            socket.write(first)
        }
        #expect(same(Buffer.concat(atBackend), first), "atBackend: \(Buffer.concat(atBackend).count) bytes")
        #expect(same(Buffer.concat(seen), second), "seen: \(Buffer.concat(seen).count) bytes")
    }

    // A destination whose peer does not read: the kernel buffers fill, what the destination
    // refuses is queued as an ordinary write, `write` answers false and the source pauses until
    // 'drain'. Once the backend reads, all 8 MiB arrive in order.
    @Test(arguments: Transport.allCases)
    func slowDestinationKeepsOrderUnderBackpressure(_ transport: Transport) throws {
        let payload = Buffer(patternBytes(8 << 20, seed: 5))
        var atBackend: [Buffer] = []
        var drains = 0
        var queuedAtFull = 0
        var highWaterMark = 0
        var pipeCapacity = 0
        var spliced = 0
        var backendSocket: Socket?
        try withSpliceProxy(transport, twoWay: false, backend: { socket in
            socket.pause()
            backendSocket = socket
            socket.on(.data) { atBackend.append($0) }
        }, proxied: { c, u in
            u.on(.drain) { drains += 1 }
            highWaterMark = u.writableHighWaterMark
            // Bounded wait for the destination to be full, then let the backend read.
            var checks = 0
            var poll: Timeout?
            poll = u.loop.setInterval(2) {
                checks += 1
                if u.writableNeedDrain, let b = backendSocket {
                    queuedAtFull = u.writableLength
                    pipeCapacity = c.loop.kernelPipe?.capacity ?? 0
                    spliced = u.loop.splicedBytes
                    b.resume()
                    backendSocket = nil
                    poll?.close()
                    poll = nil
                } else if checks == 2500 {
                    Issue.record("the destination never filled up in 5 s")
                    poll?.close()
                    poll = nil
                    c.destroy()
                }
            }
        }) { _, dial, stop in
            let client = dial()
            client.on(.close) { _ in stop() }
            client.end(payload)
        }
        #expect(same(Buffer.concat(atBackend), payload), "atBackend: \(Buffer.concat(atBackend).count) bytes")
        #expect(drains >= 1)
        #expect(spliced > 0, "nothing was spliced before the destination filled")
        #expect(pipeCapacity > 0, "the source was not splicing when the destination filled")
        // What waits in memory is at most the mark plus one pipeful, as a copying pipe holds at
        // most the mark plus one read.
        #expect(queuedAtFull <= highWaterMark + pipeCapacity)
    }

    // The backend resets mid-stream: the proxy's sockets see the error, destroy each other, the
    // client is closed, and the loop's kernel pipe is left empty for the next splice.
    @Test func resetDestinationClosesEverythingAndLeavesThePipeEmpty() throws {
        let payload = Buffer(patternBytes(4 << 20, seed: 6))
        var upstreamErrors: [NetError] = []
        var pendingAtClose: [Int] = []
        var spliced = 0
        var clientClosed = false
        try withSpliceProxy(.tcp, twoWay: false, backend: { socket in
            var total = 0
            socket.on(.data) { chunk in
                total += chunk.count
                if total >= 1 << 20 { _ = try? socket.resetAndDestroy() }
            }
        }, proxied: { c, u in
            u.on(.error) { upstreamErrors.append($0) }
            c.on(.close) { _ in
                pendingAtClose.append(c.loop.kernelPipe?.pendingBytes ?? -1)
                spliced = c.loop.splicedBytes
            }
        }) { _, dial, stop in
            let client = dial()
            client.on(.error) { _ in }
            client.on(.close) { _ in
                clientClosed = true
                stop()
            }
            client.write(payload)
        }
        #expect(clientClosed)
        #expect(spliced > 0, "nothing was spliced before the reset")
        #expect(pendingAtClose == [0], "the kernel pipe was not left empty: \(pendingAtClose)")
        #expect(upstreamErrors.allSatisfy { [.ECONNRESET, .EPIPE].contains($0.code) }, "\(upstreamErrors)")
    }
}

/// Whether two byte strings are equal (a test's message then gives sizes, not every byte).
func same(_ a: Buffer, _ b: Buffer) -> Bool { a == b }

/// A socket a closure made before it existed will reach (the test's client, for its backend).
/// Sets a socket's kernel buffer (`SO_RCVBUF` or `SO_SNDBUF`), which also turns off the
/// kernel's growing of it.
func setKernelBuffer(of socket: Socket, _ option: Int32, to bytes: Int32, sourceLocation: SourceLocation = #_sourceLocation) {
    var value = bytes
    guard let fd = socket.fileDescriptor,
          setsockopt(fd, SOL_SOCKET, option, &value, socklen_t(MemoryLayout<Int32>.size)) == 0
    else {
        Issue.record("could not set the kernel buffer (option \(option))", sourceLocation: sourceLocation)
        return
    }
}

final class SocketBox {
    var socket: Socket?

    /// Holds `socket` until it closes, then lets go of it and calls `stop`. Returns the socket.
    @discardableResult
    func hold(_ socket: Socket, stoppingAtClose stop: @escaping () -> Void) -> Socket {
        self.socket = socket
        socket.on(.close) { [self] _ in
            self.socket = nil
            stop()
        }
        return socket
    }
}

/// Runs a backend (its connection listener) and, in front of it, a proxy whose connections pipe
/// to a new upstream connection (and back, when `twoWay`); both proxy sockets are half-open, so
/// an end travels through as the client sent it, and an error on either destroys both. `proxied`
/// sees each pair (the client's side, the upstream side). `body` gets the loop, a function that
/// connects a client to the proxy and one that closes both servers.
func withSpliceProxy(
    _ transport: SpliceTests.Transport, splices: Bool = true, twoWay: Bool = true, upstreamHighWaterMark: Int? = nil,
    backend: @escaping (Socket) -> Void, proxied: @escaping (Socket, Socket) -> Void = { _, _ in },
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: @escaping (EventLoop, _ dial: @escaping () -> Socket, _ stop: @escaping () -> Void) -> Void
) throws {
    try withTempDir { dir in
        withLoop(timeout: 20_000, sourceLocation: sourceLocation) { loop in
            loop.splicesPipes = splices
            let backendServer = Net.createServer(loop: loop, connectionListener: backend)
            var upstream: (EventLoop) -> Socket = { _ in Socket(loop: loop) }
            let proxy = Net.createServer(ServerOptions(allowHalfOpen: true), loop: loop) { c in
                let u = upstream(loop)
                c.pipe(u)
                // One way, the upstream's end still ends the client's side, as the pipe back would.
                if twoWay { u.pipe(c) } else { u.on(.end) { c.end() } }
                c.on(.error) { _ in u.destroy() }
                u.on(.error) { _ in c.destroy() }
                proxied(c, u)
            }
            let stop = {
                backendServer.close()
                proxy.close()
            }
            switch transport {
            case .tcp:
                listenLocal(backendServer) { backendPort in
                    upstream = { loop in
                        dial(backendPort, loop: loop, options: SocketOptions(allowHalfOpen: true, highWaterMark: upstreamHighWaterMark))
                    }
                    listenLocal(proxy) { proxyPort in
                        body(loop, { dial(proxyPort, loop: loop) }, stop)
                    }
                }
            case .unix:
                let backendPath = dir.file("backend.sock"), proxyPath = dir.file("proxy.sock")
                do {
                    try backendServer.listen(path: backendPath)
                    try proxy.listen(path: proxyPath)
                } catch {
                    Issue.record("listen threw \(error)", sourceLocation: sourceLocation)
                    stop()
                    return
                }
                upstream = { loop in
                    let u = Socket(SocketOptions(allowHalfOpen: true, highWaterMark: upstreamHighWaterMark), loop: loop)
                    return (try? u.connect(path: backendPath)) ?? u
                }
                body(loop, { (try? Socket(loop: loop).connect(path: proxyPath)) ?? Socket(loop: loop) }, stop)
            }
        }
    }
}
