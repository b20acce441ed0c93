import Testing
import Synchronization
@testable import NetCore
import Net

/// `LineSplitter` and `socket.lines`: `\n` ends a line, a `\r` before it goes, lines are bounded.
@Suite struct LineTests {
    @Test func splitsAcrossChunksAndStripsCarriageReturns() throws {
        var s = LineSplitter()
        #expect(try s.push(Buffer("GET / HTTP/1.1\r\nHo")) == ["GET / HTTP/1.1"])
        #expect(try s.push(Buffer("st: a\r")) == [])
        #expect(try s.push(Buffer("\n\r\nlast")) == ["Host: a", ""])
        #expect(s.finish() == "last")
        #expect(s.finish() == nil)
    }

    @Test func aLineOverTheLimitIsAnError() throws {
        var s = LineSplitter(maxLineLength: 4)
        #expect(try s.push(Buffer("abcd\r\n")) == ["abcd"])
        #expect(try s.push(Buffer("abcd\r")) == [], "the \\r of the ending does not count")
        #expect(throws: NetError.lineTooLong(4)) { try s.push(Buffer("x")) }
        var t = LineSplitter(maxLineLength: 4)
        #expect(throws: NetError.lineTooLong(4)) { try t.push(Buffer("abcde\n")) }
    }

    @Test func socketLinesAsAnAsyncSequence() async {
        await withAsyncLoop { loop in
            try await withPair(loop) { client, peer in
                try await client.write("one\r\ntw")
                try await client.end("o\nthree")
                var got: [String] = []
                for try await line in peer.lines { got.append(line) }
                #expect(got == ["one", "two", "three"])
            }
        }
    }

    @Test func tooLongALineEndsTheIterationWithAClearError() async {
        await withAsyncLoop { loop in
            try await withPair(loop) { client, peer in
                try await client.write(Buffer(count: 100, fill: UInt8(ascii: "a")))
                do throws(NetError) {
                    for try await _ in peer.lines(maxLineLength: 64) { Issue.record("a line came") }
                    Issue.record("no error")
                } catch {
                    #expect(error.code == .ERR_LINE_TOO_LONG)
                    #expect(error.message == "Line longer than 64 bytes")
                }
            }
        }
    }

    @Test func linesFromCallbacks() throws {
        let got = Box<[String]>()
        withLoop { loop in
            let server = Net.createServer(loop: loop) { socket in
                var splitter = LineSplitter()
                socket.on(.data) { chunk in
                    do throws(NetError) {
                        for line in try splitter.push(chunk) { got.value = (got.value ?? []) + [line] }
                    } catch {
                        socket.destroy(error)
                    }
                }
            }
            server.once(.connection) { _ in server.close() }
            listenLocal(server) { port in
                let c = dial(port, loop: loop)
                c.end("a\nb\r\n")
            }
        }
        #expect(got.value == ["a", "b"])
    }
}
