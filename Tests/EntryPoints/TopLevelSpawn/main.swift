// Entry point check: top-level code that awaits, with `loop.spawn` as the first thing it does.
// At top level Swift resolves `loop.spawn` to the synchronous form even under `await`; called on
// the main thread from a task (top-level code that awaits runs in one), that form has the main
// actor start the loop on a thread of its own once this code awaits, so awaiting the spawned
// task's value does not hang. The same spawn inside an async function gets the async form.
import Net

let loop = EventLoop.default

/// Listens, sends `text` to itself through a client that ends, and returns what the server read.
@Sendable func echoOnce(_ text: String) async throws -> String {
    let server = try await Net.listen(host: "127.0.0.1", port: 0, loop: loop)
    let port = try await server.address()?.port ?? 0
    let client = try await Net.connect(host: "127.0.0.1", port: port, loop: loop)
    try await client.end(text)
    var got = ""
    for try await connection in server.connections {
        for try await chunk in connection { got += chunk.toString() }
        break
    }
    await server.close()
    return got
}

let got = try await loop.spawn { try await echoOnce("hi\n") }.value
print("got \(got)", terminator: "")

func echoFromAFunction() async throws -> String {
    try await loop.spawn { try await echoOnce("again\n") }.value
}
print("got \(try await echoFromAFunction())", terminator: "")
print("done")
