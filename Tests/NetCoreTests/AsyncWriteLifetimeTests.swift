import Testing
@testable import NetCore
import Net

/// Data given to `write` belongs to the write until the kernel took it, even when the caller
/// drops it at once and the write completes much later.
@Suite struct AsyncWriteLifetimeTests {
    enum Form: String, CaseIterable { case buffer, hexString }

    // node: test/parallel/test-net-write-fully-async-buffer.js
    // node: test/parallel/test-net-write-fully-async-hex-string.js — 20 rounds of writing a
    // megabyte of zeros (a Buffer, or a hex string) until `write` says wait, the next round on
    // 'drain'; the caller keeps nothing. Every byte the server receives is a zero (nothing was
    // freed under a write in flight), and then the client is destroyed.
    @Test(arguments: Form.allCases)
    func writesOwnTheirDataUntilTheyComplete(form: Form) {
        var received = 0
        var nonZero = 0
        var rounds = 0
        // 40 MB through a hex decoder and a byte scan: generous bound for sanitizer builds.
        withLoop(timeout: 60_000) { loop in
            let server = Server(loop: loop) { conn in
                conn.on(.error) { _ in }
                conn.on(.data) { chunk in
                    received += chunk.count
                    chunk.withUnsafeBytes { bytes in for b in bytes where b != 0 { nonZero += 1 } }
                }
            }
            listenLocal(server) { port in
                let conn = dial(port, loop: loop)
                func writeRound() -> Bool {
                    switch form {
                    case .buffer: return conn.write(Buffer([UInt8](repeating: 0, count: 1_000_000)))
                    case .hexString: return conn.write(String(repeating: "00", count: 1_000_000), encoding: .hex)
                    }
                }
                func writeLoop() {
                    rounds += 1
                    if rounds > 20 {
                        conn.destroy()
                        server.close()
                        return
                    }
                    while writeRound() {}
                }
                conn.on(.connect) {
                    conn.on(.drain) { writeLoop() }
                    writeLoop()
                }
            }
        }
        #expect(rounds == 21)
        #expect(received >= 1_000_000)
        #expect(nonZero == 0)
    }
}

/// A peer that vanishes in the middle of a large write.
@Suite struct AbruptPeerTests {
    // node: test/sequential/test-net-GH-5504.js — a server writing 64 MiB to a client that is
    // destroyed as soon as it connects ends that connection (an 'error' such as ECONNRESET or
    // EPIPE, or a plain end) and closes, rather than reading or writing on for ever; the server
    // closed itself at its first connection and the loop ends (the test's time limit catches a
    // loop that keeps going).
    @Test func aLargeWriteToADestroyedClientEnds() {
        var serverSide: [String] = []
        withLoop(timeout: 10000) { loop in
            let content = Buffer([UInt8](repeating: UInt8(ascii: "#"), count: 64 * 1024 * 1024))
            let server = Server(loop: loop)
            server.on(.connection) { socket in
                server.close()
                socket.on(.error) { serverSide.append("error \($0.code)") }
                socket.on(.close) { _ in serverSide.append("close") }
                socket.write(content)
            }
            listenLocal(server) { port in
                let client = dial(port, loop: loop)
                client.on(.connect) { client.destroy() }
            }
        }
        #expect(serverSide.last == "close")
        #expect(serverSide.dropLast().allSatisfy { ["error ECONNRESET", "error EPIPE"].contains($0) }, "\(serverSide)")
    }
}
