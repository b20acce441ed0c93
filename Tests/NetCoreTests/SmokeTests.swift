import Testing
@testable import NetCore
import Net

@Suite struct SmokeTests {
    @Test func echoRoundTrip() throws {
        let log = Log()
        try withLoop { loop in
            let server = Net.createServer(loop: loop) { socket in
                log("server connection")
                socket.on(.data) { socket.write($0) }
                socket.on(.end) { log("server end") }
                socket.on(.close) { _ in log("server close") }
            }
            listenLocal(server) { port in
                let client = try! Net.connect(port: port, host: "127.0.0.1", loop: loop)
                client.on(.connect) { log("connect") }
                client.on(.ready) { log("ready") }
                client.on(.data) { chunk in
                    log("data \(chunk.toString())")
                    client.end()
                }
                client.on(.end) { log("end") }
                client.on(.finish) { log("finish") }
                client.on(.close) { e in log("close \(e.hadError)"); server.close() }
                client.write("hello")
            }
        }
        #expect(log.entries.filter { !$0.hasPrefix("server") } == ["connect", "ready", "data hello", "finish", "end", "close false"])
    }
}
