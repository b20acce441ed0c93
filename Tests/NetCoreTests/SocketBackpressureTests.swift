import Testing
@testable import NetCore
import Net
import Foundation

/// The write queue: cork, bufferSize, bytesWritten, the high-water mark, and a pipe that keeps
/// its queues bounded in front of a slow reader.
@Suite struct SocketBackpressureTests {
    // node: test/parallel/test-net-sync-cork.js
    // A hundred rounds of cork, two 2-byte writes, uncork on a connected socket never report
    // backpressure, and the peer gets every byte without an error.
    @Test func corkedSmallWritesNeverReportBackpressure() {
        let n = 100
        var rounds = 0
        var received = 0
        withLoop { loop in
            let server = Server(loop: loop)
            server.on(.connection) { socket in
                socket.on(.data) { received += $0.count }
                socket.on(.error) { Issue.record("server side error \($0)") }
                socket.on(.close) { _ in server.close() }
            }
            listenLocal(server) { port in
                let conn = dial(port, loop: loop)
                let buf = Buffer(count: 2, fill: UInt8(ascii: "a"))
                conn.on(.connect) {
                    var ok = true
                    while rounds < n && ok {
                        conn.cork()
                        conn.write(buf)
                        ok = conn.write(buf)
                        conn.uncork()
                        rounds += 1
                    }
                    conn.end()
                }
            }
        }
        #expect(rounds == n)
        #expect(received == n * 4)
    }

    // node: test/parallel/test-net-buffersize.js
    // One-byte writes while connecting grow bufferSize by one each; at 'finish' it is 0 again.
    @Test func bufferSizeCountsQueuedBytesUntilFinish() {
        var sizes: [Int] = []
        var atFinish: Int?
        withLoop { loop in
            let server = Server(loop: loop)
            server.on(.connection) { socket in
                socket.resume()
                socket.on(.end) { server.close() }
            }
            listenLocal(server) { port in
                let client = dial(port, loop: loop)
                client.on(.finish) { atFinish = client.bufferSize }
                for _ in 1..<10 {
                    client.write("a")
                    sizes.append(client.bufferSize ?? -1)
                }
                client.end()
                client.resume()
            }
        }
        #expect(sizes == Array(1..<10))
        #expect(atFinish == 0)
    }

    // node: test/parallel/test-net-socket-byteswritten.js
    // Corked writes of "one" and "twø" made while connecting go out as one batch; bytesWritten
    // counts bytes (3 + 4), not characters, at once, at 'connect' and at 'end'.
    @Test func bytesWrittenOfACorkedBatchCountsBytes() {
        var seen: [Int] = []
        withLoop { loop in
            let server = Net.createServer(loop: loop) { peer in
                peer.resume()
                peer.end()
            }
            listenLocal(server) { port in
                let socket = dial(port, loop: loop)
                socket.cork()
                socket.write("one")
                socket.write(Buffer("twø", encoding: .utf8))
                socket.uncork()
                seen.append(socket.bytesWritten)
                socket.on(.connect) { seen.append(socket.bytesWritten) }
                socket.on(.end) {
                    seen.append(socket.bytesWritten)
                    server.close()
                }
                socket.resume()
            }
        }
        #expect(seen == [7, 7, 7])
    }

    // Node ≥ 22 (nodejs/node#52037): the default high-water mark of a net socket is 64 KiB, and
    // write() returns false once the queue reaches it; 'drain' follows when it empties.
    @Test func defaultHighWaterMarkIs64KiB() {
        var results: [Bool] = []
        var marks: [Int] = []
        var drains = 0
        withLoop { loop in
            let server = Server(loop: loop)
            server.on(.connection) { socket in
                socket.resume()
                socket.on(.end) { server.close() }
            }
            listenLocal(server) { port in
                let client = dial(port, loop: loop)
                marks = [client.writableHighWaterMark, client.readableHighWaterMark]
                // While connecting everything is queued, so the queue length is exact.
                results.append(client.write(Buffer(count: 65535)))
                results.append(client.write(Buffer(count: 1)))
                results.append(client.writableNeedDrain)
                client.on(.drain) {
                    drains += 1
                    client.end()
                }
                client.resume()
            }
        }
        #expect(marks == [65536, 65536])
        #expect(results == [true, false, true])
        #expect(drains == 1)
    }

    // A slow reader behind pipe(): a producer sends 64 MiB (256 MiB under `make soak`) as fast
    // as the server accepts it; the server pipes that connection into a second one whose client
    // reads a chunk, pauses, and resumes on a 1 ms timer. Everything arrives, in order, while the
    // piping server's queues stay bounded: the destination's writableLength and the source's
    // readableLength never exceed a few high-water marks, whatever the total. Under `make soak`
    // (nothing else in the process) resident memory may grow by at most 32 MiB meanwhile.
    @Test func pipeKeepsQueuesBoundedInFrontOfASlowReader() {
        let total = Soak.size(short: 64 << 20, long: 256 << 20)
        let rssBefore = ProcStats.residentKiB()
        var rssPeak = rssBefore
        let block = Buffer(patternBytes(1 << 16))
        var received = 0
        var mismatch = false
        var maxWritable = 0
        var maxReadable = 0
        var mark = 0
        withLoop(timeout: Soak.enabled ? 120_000 : 15_000) { loop in
            let server = Server(loop: loop)
            var source: Socket?
            var destination: Socket?
            var sampler: NetCore.Timeout?
            var samples = 0
            func sample() {
                if let d = destination { maxWritable = max(maxWritable, d.writableLength) }
                if let s = source { maxReadable = max(maxReadable, s.readableLength) }
                samples += 1
                if samples % 256 == 0 { rssPeak = max(rssPeak, ProcStats.residentKiB()) }
            }
            server.on(.connection) { socket in
                if source == nil {
                    source = socket
                    return
                }
                destination = socket
                mark = socket.writableHighWaterMark
                source?.pipe(socket)
                source?.on(.data) { _ in sample() }
                socket.on(.drain) { sample() }
                socket.on(.close) { _ in
                    sampler?.close()
                    sampler = nil
                    source = nil
                    destination = nil
                    server.close()
                }
                sampler = loop.setInterval(1) { sample() }
            }
            listenLocal(server) { port in
                let producer = dial(port, loop: loop)
                var sent = 0
                func pump() {
                    while sent < total {
                        sent += block.count
                        if !producer.write(block) { return }
                    }
                    producer.end()
                }
                producer.on(.drain) { pump() }
                producer.on(.connect) {
                    let reader = dial(port, loop: loop)
                    var offset = 0
                    reader.on(.data) { chunk in
                        if !chunk.matchesRepeating(block, at: offset) { mismatch = true }
                        offset = (offset + chunk.count) % block.count
                        received += chunk.count
                        sample()
                        reader.pause()
                        loop.setTimeout(1) { reader.resume() }
                    }
                    reader.on(.connect) { pump() }
                }
                producer.resume()
            }
        }
        Soak.report("slow reader: \(received >> 20) MiB through pipe(); destination writableLength peaked at \(maxWritable), "
            + "source readableLength at \(maxReadable); VmRSS \(rssBefore) KiB, peak \(rssPeak) KiB")
        if Soak.enabled {
            #expect(rssPeak - rssBefore <= 32 << 10, "VmRSS grew by \(rssPeak - rssBefore) KiB")
        }
        #expect(received == total)
        #expect(!mismatch)
        #expect(mark == 65536)
        #expect(maxWritable <= 3 * mark, "destination queue reached \(maxWritable) bytes")
        #expect(maxReadable <= 3 * mark, "source buffer reached \(maxReadable) bytes")
    }
}

extension Buffer {
    /// Whether these bytes continue `pattern`, repeated end to end, from `offset` in it.
    func matchesRepeating(_ pattern: Buffer, at offset: Int) -> Bool {
        withUnsafeBytes { bytes in
            pattern.withUnsafeBytes { p in
                var i = 0
                var at = offset
                while i < bytes.count {
                    let n = Swift.min(bytes.count - i, p.count - at)
                    if memcmp(bytes.baseAddress! + i, p.baseAddress! + at, n) != 0 { return false }
                    i += n
                    at = (at + n) % p.count
                }
                return true
            }
        }
    }
}

/// `writableLength` counts a whole write until its callback, as Node does.
@Suite struct WritableLengthTests {
    @Test func aPartlySentWriteCountsWholeUntilItsCallback() throws {
        let size = 32 << 20
        var right: Int?
        var inCallback: Int?
        var received = 0
        withLoop(timeout: 20_000) { loop in
            let server = Net.createServer(loop: loop) { socket in
                socket.on(.data) { received += $0.count }
                socket.on(.end) { socket.end() }
            }
            listenLocal(server) { port in
                let c = dial(port, loop: loop)
                c.on(.connect) {
                    c.write(Buffer(count: size)) { _ in inCallback = c.writableLength }
                    right = c.writableLength
                    c.end()
                }
                c.resume()
                c.on(.close) { _ in server.close() }
            }
        }
        #expect(right == size)
        #expect(inCallback == 0)
        #expect(received == size)
    }
}
