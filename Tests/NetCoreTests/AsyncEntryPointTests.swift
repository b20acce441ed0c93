import Testing
import Foundation
@testable import NetCore
import Net

/// The async face from each place a program starts: `@main` with `async main` (the AsyncEcho
/// example), top-level code with and without `await` (small executables run as children, with a
/// deadline), and any task (here).
@Suite struct AsyncEntryPointTests {
    @Test func topLevelCodeWithSpawnAndRun() throws {
        let child = try #require(ChildProcess(builtProduct("EntryTopLevel"), []))
        defer { child.stop() }
        #expect(child.readLine(timeout: 20)?.hasPrefix("got hi") == true)
        #expect(child.readLine(timeout: 20) == "done")
        #expect(child.waitForExit(timeout: 20) == 0, "top-level code with loop.spawn and loop.run() did not end")
    }

    @Test func topLevelCodeThatAwaits() throws {
        let child = try #require(ChildProcess(builtProduct("EntryTopLevelAwait"), []))
        defer { child.stop() }
        #expect(child.readLine(timeout: 20)?.hasPrefix("got hi") == true)
        #expect(child.readLine(timeout: 20) == "done")
        #expect(child.waitForExit(timeout: 20) == 0, "top-level code that awaits did not end")
    }

    /// Top-level code whose first await is `loop.spawn`: at top level Swift picks the synchronous
    /// form even under `await`, which, called on the main thread from a task, has the loop's
    /// thread started once the code awaits; then the same from an async function, which gets the
    /// async form.
    @Test func topLevelCodeThatBeginsWithSpawn() throws {
        let child = try #require(ChildProcess(builtProduct("EntryTopLevelSpawn"), []))
        defer { child.stop() }
        #expect(child.readLine(timeout: 20) == "got hi", "the task spawned at top level did not run")
        #expect(child.readLine(timeout: 20) == "got again")
        #expect(child.readLine(timeout: 20) == "done")
        #expect(child.waitForExit(timeout: 20) == 0, "top-level code that begins with spawn did not end")
    }

    @Test(arguments: [["AsyncEcho"], ["net-echo", "--async", "--greeting"]])
    func asyncEchoServers(_ command: [String]) async throws {
        let greeting = command.contains("--greeting")
        let child = try #require(ChildProcess(builtProduct(command[0]), Array(command.dropFirst()) + ["--port", "0", "--host", "127.0.0.1"]))
        defer { child.stop() }
        let port = try #require(ChildProcess.port(fromListeningLine: child.readLine(timeout: 20)), "async-echo did not listen")
        await withAsyncLoop { loop in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<3 {
                    group.addTask {
                        let c = try await Net.connect(host: "127.0.0.1", port: port, loop: loop)
                        let message = "hello \(i) " + String(repeating: "x", count: 100_000)
                        try await c.write(message)
                        let expected = (greeting ? "hello\r\n" : "") + message
                        let back = try await readBytes(c, count: expected.utf8.count)
                        #expect(back == Array(expected.utf8))
                        try await c.end()
                        await c.destroy()
                    }
                }
                try await group.waitForAll()
            }
        }
    }

    @Test func fromADetachedTask() async throws {
        await withAsyncLoop { loop in
            try await Task.detached {
                let (server, port) = try await localServer(loop)
                let echo = await loop.spawn {
                    for try await c in server.connections {
                        for try await chunk in c { try await c.write(chunk) }
                        break
                    }
                }
                let client = try await Net.connect(host: "127.0.0.1", port: port, loop: loop)
                try await client.write("ping")
                #expect(try await readBytes(client, count: 4) == Array("ping".utf8))
                try await client.end()
                try await echo.value
                await server.close()
            }.value
        }
    }
}
