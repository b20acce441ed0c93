import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import NetCore
import Net

/// Cancelling the task that awaits a read, write, connect or accept ends the wait with
/// `ABORT_ERR`; iterators that end or are dropped leave no listeners and no paused socket.
@Suite struct AsyncCancellationTests {
    @Test func aReadRacedAgainstATimeoutEndsOnCancelAll() async {
        await withAsyncLoop { loop in
            try await withPair(loop) { client, _ in
                let outcome = await withTaskGroup(of: String.self) { group in
                    group.addTask {
                        do throws(NetError) {
                            for try await _ in client {}
                            return "read ended"
                        } catch {
                            return "read threw \(error.code)"
                        }
                    }
                    group.addTask {
                        // The timeout being raced (nothing is sent, so the read cannot win).
                        try? await Task.sleep(for: .milliseconds(20))
                        return "timeout"
                    }
                    let first = await group.next()
                    group.cancelAll()
                    let second = await group.next()
                    return [first, second]
                }
                #expect(outcome == ["timeout", "read threw ABORT_ERR"])
                #expect(client.channel.socket.destroyed, "a cancelled read destroys the socket")
            }
        }
    }

    @Test func aWriteWaitingForDrainEndsOnCancel() async {
        await withAsyncLoop { loop in
            try await withPair(loop, server: ServerOptions(pauseOnConnect: true)) { client, _ in
                let big = Buffer(patternBytes(24 << 20))
                let outcome: String = await withTaskGroup(of: String.self) { group in
                    group.addTask {
                        do throws(NetError) {
                            try await client.write(big)
                            return "written"
                        } catch {
                            return "write threw \(error.code)"
                        }
                    }
                    // The child runs first on the loop and suspends, waiting for 'drain'.
                    await Task.yield()
                    #expect(client.channel.socket.writableNeedDrain)
                    group.cancelAll()
                    return await group.next() ?? ""
                }
                #expect(outcome == "write threw ABORT_ERR")
                #expect(client.channel.socket.destroyed)
            }
        }
    }

    @Test func aPendingConnectEndsOnCancel() async throws {
        // A listener with a full accept queue (backlog 0, one connection waiting) drops the next
        // SYN, so the next connect stays pending.
        let (fd, port) = boundLoopbackSocket()
        defer { close(fd) }
        listen(fd, 0)
        await withAsyncLoop { loop in
            let first = try await Net.connect(host: "127.0.0.1", port: port, loop: loop)
            let connecting = Task { try await Net.connect(host: "127.0.0.1", port: port, loop: loop) }
            connecting.cancel()
            do {
                let s = try await connecting.value
                Issue.record("connected to a full queue")
                await s.destroy()
            } catch let error as NetError {
                #expect(error.code == .ABORT_ERR)
            }
            await first.destroy()
        }
    }

    @Test func aConnectInACancelledTaskThrowsAborted() async {
        await withAsyncLoop { loop in
            let (server, port) = try await localServer(loop)
            let t = Task {
                withUnsafeCurrentTask { $0?.cancel() }
                return try await Net.connect(host: "127.0.0.1", port: port, loop: loop)
            }
            do {
                let s = try await t.value
                Issue.record("connected")
                await s.destroy()
            } catch let error as NetError {
                #expect(error.code == .ABORT_ERR)
            }
            await server.close()
        }
    }

    @Test func cancellingAnAcceptStopsTheServer() async {
        await withAsyncLoop { loop in
            let (server, _) = try await localServer(loop)
            let acceptor = await loop.spawn {
                for try await _ in server.connections { Issue.record("nobody connected") }
            }
            acceptor.cancel()
            do {
                try await acceptor.value
                Issue.record("the accept loop ended without an error")
            } catch let error as NetError {
                #expect(error.code == .ABORT_ERR)
            }
            #expect(try await server.address() == nil, "a cancelled accept closes the server")
            await server.close()
        }
    }

    @Test func aDroppedIteratorLeavesNoListenersAndNoPause() async {
        await withAsyncLoop { loop in
            try await withPair(loop) { client, peer in
                let socket = client.channel.socket
                let before = socket.asyncListenerCounts
                try await peer.write("one")
                do {
                    var chunks = socket.makeAsyncIterator()
                    let first = try await chunks.next()
                    #expect(first.map { Array($0) } == Array("one".utf8))
                    // Data while nobody awaits: the iterator keeps it and pauses the socket.
                    await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                        socket.once(.data) { _ in c.resume() }
                        Task { try await peer.write("two") }
                    }
                    #expect(socket.isPaused())
                }
                // The iterator is gone: its listeners with it, and the socket flows again.
                #expect(socket.asyncListenerCounts == before)
                #expect(!socket.isPaused())
                let got: String = await withCheckedContinuation { c in
                    socket.once(.data) { chunk in c.resume(returning: chunk.toString()) }
                    Task { try await peer.write("three") }
                }
                #expect(got.hasSuffix("three"))
            }
        }
    }

    @Test func iteratorsMadeAndDroppedAddNoListeners() async {
        await withAsyncLoop { loop in
            try await withPair(loop) { client, _ in
                let socket = client.channel.socket
                let before = socket.asyncListenerCounts
                for _ in 0..<3 { _ = socket.makeAsyncIterator() }
                #expect(socket.asyncListenerCounts == before)
                #expect(!socket.isPaused())
            }
        }
    }
}

extension Socket {
    /// How many listeners each event the async face listens for has.
    var asyncListenerCounts: [Int] {
        [listenerCount(.data), listenerCount(.end), listenerCount(.error), listenerCount(.close),
         listenerCount(.drain), listenerCount(.finish), listenerCount(.connect)]
    }
}
