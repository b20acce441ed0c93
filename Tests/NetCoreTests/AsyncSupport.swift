import Testing
import Synchronization
@testable import NetCore
import Net

/// Runs `body` with a fresh loop that the async face starts on a thread of its own. Fails if
/// `body` takes longer than `timeout` seconds (then closes everything), waits (bounded) for the
/// loop's thread to stop, and checks that nothing was left open or alive.
func withAsyncLoop(
    timeout: Double = 10, sourceLocation: SourceLocation = #_sourceLocation,
    _ body: @escaping @Sendable (EventLoop) async throws -> Void
) async {
    let loop = EventLoop()
    loop.onUnhandledError = { error, source in
        Issue.record("unhandled 'error' on \(source): \(error)", sourceLocation: sourceLocation)
    }
    let finished = await within(timeout) {
        do { try await body(loop) } catch { Issue.record("threw \(error)", sourceLocation: sourceLocation) }
    }
    if !finished {
        Issue.record("the test body was still running after \(timeout) s", sourceLocation: sourceLocation)
        loop.execute { loop.closeAllHandles() }
        loop.restartOwnThreadIfNeeded()
    }
    let stopped = await within(timeout) { await loop.waitForOwnThread() }
    #expect(stopped, "the loop's own thread was still running after \(timeout) s", sourceLocation: sourceLocation)
    guard stopped else { return }
    #expect(loop.liveHandles == 0, "\(loop.liveHandles) handles left open", sourceLocation: sourceLocation)
    #expect(loop.liveEmitters == 0, "\(loop.liveEmitters) sockets or servers never released", sourceLocation: sourceLocation)
    loop.close()
}

/// Whether `operation` finished within `seconds` (it is left running if not).
func within(_ seconds: Double, _ operation: @escaping @Sendable () async -> Void) async -> Bool {
    return await withCheckedContinuation { (c: CheckedContinuation<Bool, Never>) in
        let first = OnceFlag()
        Task {
            await operation()
            if first.take() { c.resume(returning: true) }
        }
        Task {
            try? await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
            if first.take() { c.resume(returning: false) }
        }
    }
}

/// True for the first caller of `take()` only.
final class OnceFlag: Sendable {
    private let taken = Atomic<Bool>(false)
    func take() -> Bool { !taken.exchange(true, ordering: .acquiringAndReleasing) }
}

/// A listening async server on 127.0.0.1 and its port.
func localServer(_ loop: EventLoop, options: ServerOptions = ServerOptions()) async throws -> (AsyncServer, Int) {
    let server = try await Net.listen(host: "127.0.0.1", port: 0, options: options, loop: loop)
    let port = (try? await server.address())?.port ?? 0
    return (server, port)
}

/// Reads `socket` until `count` bytes came or the stream ended.
func readBytes(_ socket: AsyncSocket, count: Int) async throws(NetError) -> [UInt8] {
    var got: [UInt8] = []
    for try await chunk in socket {
        got += chunk
        if got.count >= count { break }
    }
    return got
}

/// Runs `body` on the loop with a connected pair (a client from `Net.connect` and the server's
/// side of it), then destroys both and closes the server.
func withPair(
    _ loop: EventLoop, server options: ServerOptions = ServerOptions(), clientHighWaterMark: Int? = nil,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: @escaping @Sendable (_ client: AsyncSocket, _ peer: AsyncSocket) async throws -> Void
) async throws {
    let (server, port) = try await localServer(loop, options: options)
    try await loop.spawn {
        let client = try await Net.connect(
            host: "127.0.0.1", port: port, options: SocketOptions(highWaterMark: clientHighWaterMark), loop: loop)
        var accepted = server.connections.makeAsyncIterator()
        guard let peer = try await accepted.next() else {
            Issue.record("no connection", sourceLocation: sourceLocation)
            return
        }
        try await body(client, peer)
        await client.destroy()
        await peer.destroy()
        await server.close()
    }.value
}
