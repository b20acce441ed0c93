import Testing
@testable import NetCore
import Net

/// The async face: awaitable connect, write with backpressure, end, typed reads, accepting with
/// backpressure, and connections handed to child tasks.
@Suite struct AsyncSocketTests {
    @Test func connectWriteReadAndEndFromOffTheLoop() async {
        await withAsyncLoop { loop in
            let (server, port) = try await localServer(loop)
            let echo = await loop.spawn {
                for try await connection in server.connections {
                    for try await chunk in connection { try await connection.write(chunk) }
                    break
                }
                await server.close()
            }
            let client = try await Net.connect(host: "127.0.0.1", port: port, loop: loop)
            #expect(loop.runsOnOwnThread)
            try await client.write("hello")
            let back = try await readBytes(client, count: 5)
            #expect(back == Array("hello".utf8))
            try await client.end()
            #expect(try await client.withSocket { $0.writableFinished })
            // The server ends its side after ours (no allowHalfOpen): the read sees the end.
            for try await _ in client { Issue.record("no more data expected") }
            try await echo.value
        }
    }

    @Test func connectRefusedThrowsATypedError() async {
        await withAsyncLoop { loop in
            let port = closedPort()
            do throws(NetError) {
                _ = try await Net.connect(host: "127.0.0.1", port: port, loop: loop)
                Issue.record("connected to a closed port")
            } catch {
                // `error` is a NetError: no cast needed.
                #expect(error.code == .ECONNREFUSED)
                #expect(error.message == "connect ECONNREFUSED 127.0.0.1:\(port)")
            }
        }
    }

    @Test func connectToLocalhostTriesEveryAddress() async {
        await withAsyncLoop { loop in
            // Listening on IPv4 only: `localhost` may resolve to ::1 first, which happy eyeballs
            // passes over.
            let (server, port) = try await localServer(loop)
            let client = try await Net.connect(host: "localhost", port: port, loop: loop)
            #expect(try await client.withSocket { $0.remoteAddress } == "127.0.0.1")
            await client.destroy()
            await server.close()
        }
    }

    @Test func badPortThrowsAtOnce() async {
        await withAsyncLoop { loop in
            do throws(NetError) {
                _ = try await Net.connect(host: "127.0.0.1", port: 70000, loop: loop)
                Issue.record("connected")
            } catch {
                #expect(error.code == .ERR_SOCKET_BAD_PORT)
            }
        }
    }

    @Test func writeSuspendsAtTheHighWaterMarkAndResumesOnDrain() async {
        await withAsyncLoop { loop in
            let (server, port) = try await localServer(loop, options: ServerOptions(pauseOnConnect: true))
            let size = 24 << 20
            let written = Box<Bool>()
            try await loop.spawn {
                let client = try await Net.connect(host: "127.0.0.1", port: port, options: SocketOptions(highWaterMark: 16 * 1024), loop: loop)
                var accepted = server.connections.makeAsyncIterator()
                guard let peer = try await accepted.next() else { Issue.record("no connection"); return }
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        try await client.write(Buffer(patternBytes(size)))
                        written.value = true
                        try await client.end()
                    }
                    group.addTask {
                        // The peer reads nothing yet: the kernel's buffers fill and the write
                        // must still be waiting for 'drain'.
                        await Task.yield()
                        #expect(try await client.withSocket { $0.writableNeedDrain })
                        #expect(written.value == nil, "the write returned before 'drain'")
                        var got = 0
                        for try await chunk in peer { got += chunk.count }
                        #expect(got == size)
                        #expect(written.value == true)
                    }
                    try await group.waitForAll()
                }
                await server.close()
            }.value
        }
    }

    @Test func twoWritersWaitingForDrainBothResume() async {
        await withAsyncLoop { loop in
            try await withPair(loop, server: ServerOptions(pauseOnConnect: true), clientHighWaterMark: 16 * 1024) { client, peer in
                let size = 12 << 20
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for _ in 0..<2 { group.addTask { try await client.write(Buffer(count: size, fill: 7)) } }
                    group.addTask {
                        // Both writers run first and wait for 'drain'; then the peer reads.
                        await Task.yield()
                        #expect(client.channel.socket.writableNeedDrain)
                        var got = 0
                        for try await chunk in peer {
                            got += chunk.count
                            if got == 2 * size { break }
                        }
                        #expect(got == 2 * size)
                    }
                    try await group.waitForAll()
                }
            }
        }
    }

    @Test func readErrorsAreTyped() async {
        await withAsyncLoop { loop in
            try await withPair(loop) { client, peer in
                try await client.write("x")
                _ = try await readBytes(peer, count: 1)
                try await peer.withSocket { socket throws(NetError) in try socket.resetAndDestroy(); return () }
                do throws(NetError) {
                    for try await _ in client {}
                    Issue.record("no error")
                } catch {
                    #expect(error.code == .ECONNRESET)
                }
            }
        }
    }

    @Test func childTasksOwnTheirConnections() async {
        await withAsyncLoop { loop in
            let (server, port) = try await localServer(loop)
            let clients = 4
            let onLoop = Box<Bool>()
            onLoop.value = true
            let serverTask = await loop.spawn {
                try await withThrowingDiscardingTaskGroup { group in
                    var accepted = 0
                    for try await connection in server.connections {
                        group.addTask {
                            // The child inherits the loop as its executor: no hop per await.
                            if !loop.isCurrent { onLoop.value = false }
                            for try await line in connection.lines { try await connection.write("echo \(line)\n") }
                        }
                        accepted += 1
                        if accepted == clients { break }
                    }
                }
                await server.close()
            }
            try await withThrowingTaskGroup(of: String.self) { group in
                for i in 0..<clients {
                    group.addTask {
                        let c = try await Net.connect(host: "127.0.0.1", port: port, loop: loop)
                        try await c.write("client \(i)\n")
                        var lines = c.lines.makeAsyncIterator()
                        let reply = try await lines.next() ?? ""
                        try await c.end()
                        return reply
                    }
                }
                var replies: Set<String> = []
                for try await r in group { replies.insert(r) }
                #expect(replies == Set((0..<clients).map { "echo client \($0)" }))
            }
            try await serverTask.value
            #expect(onLoop.value == true)
        }
    }

    @Test func acceptingWaitsForTheIteration() async {
        await withAsyncLoop { loop in
            let (server, port) = try await localServer(loop)
            try await loop.spawn {
                // Three clients connect (the kernel completes the handshakes), nobody accepts.
                var clients: [AsyncSocket] = []
                for _ in 0..<3 { clients.append(try await Net.connect(host: "127.0.0.1", port: port, loop: loop)) }
                #expect(await server.withServer { $0.connections } == 0)
                var it = server.connections.makeAsyncIterator()
                guard let first = try await it.next() else { Issue.record("no connection"); return }
                // A round trip on the accepted one takes several loop turns; still one accepted.
                try await clients[0].write("ping")
                _ = try await readBytes(first, count: 4)
                #expect(await server.withServer { $0.connections } == 1)
                _ = try await it.next()
                _ = try await it.next()
                #expect(await server.withServer { $0.connections } == 3)
                for c in clients { await c.destroy() }
                await server.close()
            }.value
        }
    }

    /// `end` takes what `write` takes, as in Node (`socket.end(line)`, `socket.end(data, 'hex')`):
    /// a string in an encoding or an array of bytes, written before the end of stream.
    @Test func endTakesAStringInAnEncodingOrBytes() async {
        await withAsyncLoop { loop in
            let line = "bye\n"
            try await withPair(loop, server: ServerOptions(allowHalfOpen: true)) { client, peer in
                try await client.end(line)
                #expect(client.channel.socket.writableFinished)
                #expect(try await readBytes(peer, count: 10) == Array(line.utf8))
            }
            try await withPair(loop, server: ServerOptions(allowHalfOpen: true)) { client, peer in
                try await client.end("6869", encoding: .hex)
                #expect(try await readBytes(peer, count: 10) == Array("hi".utf8))
            }
            try await withPair(loop, server: ServerOptions(allowHalfOpen: true)) { client, peer in
                try await client.end([0, 1, 2] as [UInt8])
                #expect(try await readBytes(peer, count: 10) == [0, 1, 2])
            }
        }
    }

    @Test func endReturnsAtFinishAndWriteAfterEndThrows() async {
        await withAsyncLoop { loop in
            try await withPair(loop, server: ServerOptions(allowHalfOpen: true)) { client, peer in
                try await client.end("bye")
                #expect(client.channel.socket.writableFinished)
                #expect(try await readBytes(peer, count: 10) == Array("bye".utf8))
                do throws(NetError) {
                    try await client.write("more")
                    Issue.record("write after end did not throw")
                } catch {
                    #expect(error.code == .ERR_STREAM_WRITE_AFTER_END)
                }
            }
        }
    }
}
