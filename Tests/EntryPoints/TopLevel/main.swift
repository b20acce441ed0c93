// Entry point check: top-level code without `await`, the callback face's server and
// `loop.run()` on the main thread, and async code started with `loop.spawn` (the README's
// example). The spawned closure is nonisolated, so it runs on the loop, not the busy main thread.
import Net

let loop = EventLoop.default
let server = Net.createServer { socket in socket.pipe(socket) }
server.once(.connection) { _ in server.close() }
try server.listen(port: 0, host: "127.0.0.1") {
    let port = (try? server.address())?.port ?? 0
    loop.spawn {
        let socket = try Net.connect(port: port, host: "127.0.0.1")
        socket.write("hi\r\n")
        for try await chunk in socket {
            print("got \(chunk.toString())", terminator: "")
            socket.end()
        }
    }
}
loop.run()
print("done")
