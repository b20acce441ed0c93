// Entry point check: top-level code that awaits (it runs on the main actor). The async face
// starts the default loop on a thread of its own.
import Net

let server = try await Net.listen(host: "127.0.0.1", port: 0)
let port = try await server.address()?.port ?? 0
let echo = EventLoop.default.spawn {
    for try await connection in server.connections {
        for try await chunk in connection { try await connection.write(chunk) }
        break
    }
    await server.close()
}
let client = try await Net.connect(host: "127.0.0.1", port: port)
try await client.write("hi\r\n")
for try await chunk in client {
    print("got \(chunk.toString())", terminator: "")
    break
}
try await client.end()
try await echo.value
print("done")
