import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import NetCore
import Net

/// Operations from off the loop hop to it and back; from a task on the loop's executor they do
/// not. The figures are printed (`ns per operation`); the on-loop hop-free path must be the cheaper.
@Suite struct AsyncHopTests {
    static func nanoseconds() -> UInt64 {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return UInt64(t.tv_sec) * 1_000_000_000 + UInt64(t.tv_nsec)
    }

    @Test func offTheLoopHopsOnTheLoopDoesNot() async {
        await withAsyncLoop(timeout: 30) { loop in
            let (server, port) = try await localServer(loop)
            let client = try await Net.connect(host: "127.0.0.1", port: port, loop: loop)
            let rounds = 2000
            // Off the loop: this task runs on the global executor.
            #expect(!loop.isCurrent)
            var start = Self.nanoseconds()
            for _ in 0..<rounds { _ = try await client.withSocket { $0.bytesWritten } }
            let off = (Self.nanoseconds() - start) / UInt64(rounds)
            // On the loop: the same calls in a task that prefers the loop.
            let on = try await loop.spawn {
                #expect(loop.isCurrent)
                let start = Self.nanoseconds()
                for _ in 0..<rounds { _ = try await client.withSocket { $0.bytesWritten } }
                return (Self.nanoseconds() - start) / UInt64(rounds)
            }.value
            // A write that does not wait, each way.
            start = Self.nanoseconds()
            for _ in 0..<rounds { try await client.write("x") }
            let offWrite = (Self.nanoseconds() - start) / UInt64(rounds)
            let onWrite = try await loop.spawn {
                let start = Self.nanoseconds()
                for _ in 0..<rounds { try await client.write("x") }
                return (Self.nanoseconds() - start) / UInt64(rounds)
            }.value
            print("async face, ns per operation: withSocket off the loop \(off), on the loop \(on); write off \(offWrite), on \(onWrite)")
            #expect(on < off)
            // The write figures include the system call, whose cost varies more than the hop's
            // (and much more under a sanitizer): printed, not compared.
            await client.destroy()
            await server.close()
        }
    }
}
