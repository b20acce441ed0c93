import Testing
import NetTestSupport
import Foundation
@testable import NetCore
import Net

/// Text from a byte stream: `StringDecoder` and `setEncoding`/`.text` never split a character,
/// wherever the chunks break.
@Suite struct SocketEncodingTests {
    /// 1-, 2-, 3- and 4-byte UTF-8 characters, each more than once.
    static let mixed = "a¢€𐍈 ß中🎉z ñ한😀!"

    /// The text of the longest prefix of `bytes` that ends on a character boundary.
    static func completePrefix(_ bytes: [UInt8]) -> String {
        var n = bytes.count
        while n > 0, String(validating: bytes[0..<n], as: UTF8.self) == nil { n -= 1 }
        return String(decoding: bytes[0..<n], as: UTF8.self)
    }

    // Every split of the mixed string into two chunks: the first write yields exactly the
    // characters that are complete in it, the second the rest, and end() nothing more.
    @Test func utf8DecoderAtEveryByteBoundary() {
        let bytes = Array(Self.mixed.utf8)
        #expect(Set(Self.mixed.unicodeScalars.map { String($0).utf8.count }) == [1, 2, 3, 4])
        var failures: [String] = []
        for i in 0...bytes.count {
            var d = StringDecoder(.utf8)
            let first = d.write(Buffer(bytes[0..<i]))
            let second = d.write(Buffer(bytes[i...]))
            let rest = d.end()
            if first != Self.completePrefix(Array(bytes[0..<i])) || first + second != Self.mixed || !rest.isEmpty {
                failures.append("split \(i): \(first.debugDescription) + \(second.debugDescription) + \(rest.debugDescription)")
            }
        }
        #expect(failures == [])
    }

    // Every split into three chunks (two cut points), fed one byte range at a time.
    @Test func utf8DecoderAtEveryPairOfBoundaries() {
        let bytes = Array(Self.mixed.utf8)
        var failures = 0
        for i in 0...bytes.count {
            for j in i...bytes.count {
                var d = StringDecoder(.utf8)
                let text = d.write(Buffer(bytes[0..<i])) + d.write(Buffer(bytes[i..<j])) + d.write(Buffer(bytes[j...])) + d.end()
                if text != Self.mixed { failures += 1 }
            }
        }
        #expect(failures == 0)
    }

    // Differential against node's string_decoder: random byte strings mixing valid characters
    // with broken ones (stray continuation bytes, cut sequences, overlong forms, surrogates,
    // bytes never valid in UTF-8), each split at every position into two writes and an end().
    // Each of the three outputs must be node's, for utf8, utf16le and base64.
    @Test(.enabled(if: NodeOracle.available, "node is not installed"))
    func decoderMatchesNodeAtEverySplit() throws {
        var rng = SeededGenerator(seed: 0x5354_5244_4543_4F44)
        let pieces: [[UInt8]] = [
            [0x61], [0x7A], [0xC2, 0xA2], [0xC3, 0x9F], [0xE2, 0x82, 0xAC], [0xE4, 0xB8, 0xAD],
            [0xF0, 0x9F, 0x8E, 0x89], [0xF0, 0x90, 0x8D, 0x88], [0x80], [0xBF], [0xC2], [0xE2, 0x82],
            [0xF0, 0x9F], [0xF0, 0x9F, 0x8E], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF5], [0xFF], [0xE0, 0x80],
        ]
        let cases: [[UInt8]] = (0..<300).map { _ in
            (0..<Int.random(in: 1...5, using: &rng)).flatMap { _ in pieces[Int.random(in: 0..<pieces.count, using: &rng)] }
        }
        let encodings: [BufferEncoding] = [.utf8, .utf16le, .base64]
        let script = """
            const fs = require('fs');
            const { StringDecoder } = require('string_decoder');
            const input = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
            const u = (s) => Buffer.from(s, 'utf8').toString('hex');
            const out = input.cases.map((h) => {
              const b = Buffer.from(h, 'hex');
              return input.encodings.map((e) => {
                const splits = [];
                for (let i = 0; i <= b.length; i++) {
                  const d = new StringDecoder(e);
                  splits.push([u(d.write(b.subarray(0, i))), u(d.write(b.subarray(i))), u(d.end())]);
                }
                return splits;
              });
            });
            process.stdout.write(JSON.stringify(out));
            """
        let input: [String: Any] = ["cases": cases.map { hexString($0) }, "encodings": encodings.map(\.rawValue)]
        let output = try #require(try NodeOracle.run(script: script, input: input) as? [[[[String]]]])
        var mismatches: [String] = []
        var total = 0
        for (c, bytes) in cases.enumerated() {
            for (k, encoding) in encodings.enumerated() {
                for i in 0...bytes.count {
                    total += 1
                    var d = StringDecoder(encoding)
                    let mine = [d.write(Buffer(bytes[0..<i])), d.write(Buffer(bytes[i...])), d.end()]
                        .map { hexString(Array($0.utf8)) }
                    if mine != output[c][k][i] {
                        mismatches.append("\(encoding) \(hexString(bytes)) split \(i): \(mine) vs node \(output[c][k][i])")
                    }
                }
            }
        }
        NodeOracle.report(mismatches, of: total, "StringDecoder split")
    }

    // The same through a socket: for every split point the client sends the two halves as two
    // writes, the second only after the server acknowledged the first, so the server reads them
    // separately. The server's .text listener (setEncoding utf8) gets exactly the complete
    // characters of the first half, then the rest: the whole string, never a U+FFFD.
    @Test func textEventsNeverSplitACharacterAcrossReads() {
        let bytes = Array(Self.mixed.utf8)
        var split = 1
        var failures: [String] = []
        var rounds = 0
        withLoop(timeout: 10_000) { loop in
            let server = Server(loop: loop)
            server.on(.connection) { socket in
                socket.setEncoding(.utf8)
                var got = 0
                var texts: [String] = []
                var firstHalf: String?
                socket.on(.text) { texts.append($0) }
                socket.on(.data) { chunk in
                    got += chunk.count
                    guard got == split || got == bytes.count else { return }
                    // The text of this chunk is emitted right after the .data listeners.
                    loop.nextTick {
                        if firstHalf == nil {
                            firstHalf = texts.joined()
                        } else {
                            let first = firstHalf ?? ""
                            let second = texts.joined()
                            let wanted = Self.completePrefix(Array(bytes[0..<split]))
                            if first != wanted || first + second != Self.mixed {
                                failures.append("split \(split): \(first.debugDescription) + \(second.debugDescription)")
                            }
                            firstHalf = nil
                            got = 0
                            rounds += 1
                        }
                        texts = []
                        socket.write("k")
                    }
                }
                socket.on(.end) { socket.end() }
                socket.on(.close) { _ in server.close() }
            }
            listenLocal(server) { port in
                let client = dial(port, loop: loop)
                var secondSent = false
                client.on(.connect) { client.write(Array(bytes[0..<split])) }
                client.on(.data) { acks in
                    for _ in 0..<acks.count {
                        if !secondSent {
                            secondSent = true
                            client.write(Array(bytes[split...]))
                        } else {
                            secondSent = false
                            split += 1
                            if split == bytes.count {
                                client.end()
                                return
                            }
                            client.write(Array(bytes[0..<split]))
                        }
                    }
                }
            }
        }
        #expect(rounds == bytes.count - 1)
        #expect(failures == [])
    }
}
