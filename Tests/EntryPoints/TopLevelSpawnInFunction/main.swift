// Entry point check: top-level code that awaits, with `loop.spawn` as the first thing it does.
// At top level Swift resolves `loop.spawn` to the synchronous form even under `await`, which
// leaves running the loop to `run()`; inside an async function the async form is chosen, and it
// starts the loop on a thread of its own (the AsyncAwait article's advice for top-level code).
import Net

func echoOnce(_ loop: EventLoop) async throws -> String {
    try await loop.spawn {
        let server = try await Net.listen(host: "127.0.0.1", port: 0, loop: loop)
        let port = try await server.address()?.port ?? 0
        let client = try await Net.connect(host: "127.0.0.1", port: port, loop: loop)
        try await client.end("hi\n")
        var got = ""
        for try await connection in server.connections {
            for try await chunk in connection { got += chunk.toString() }
            break
        }
        await server.close()
        return got
    }.value
}

print("got \(try await echoOnce(EventLoop.default))", terminator: "")
print("done")
