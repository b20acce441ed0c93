// The Buffer and StringDecoder fuzz corpora, read back and compared with node: each input is
// read the way its fuzz target reads it (Fuzz/Sources) and every answer must agree with
// Node's `Buffer` and `string_decoder`. `make test` reads the seeds in Fuzz/Corpus; `make fuzz`
// points SWIFT_NET_FUZZ_CORPUS at the grown corpus. Text is compared as its UTF-8 bytes in hex,
// so that lone surrogates (node) and U+FFFD (Swift) compare equal, as they do on the wire.
import Foundation
import Testing
import NetTestSupport
@testable import NetCore

@Suite struct FuzzCorpusDifferentialTests {
    static func hex(_ bytes: [UInt8]) -> String { Buffer(bytes).toString(.hex) }
    static func utf8Hex(_ text: String) -> String { Buffer(text).toString(.hex) }
    static let encodings = BufferEncoding.allCases

    @Test(.enabled(if: NodeOracle.available, "node is not installed")) func bufferCorpusAgreesWithNode() throws {
        let inputs = FuzzCorpus.inputs("FuzzBufferDecode")
        try #require(!inputs.isEmpty, "no corpus at \(FuzzCorpus.seeds.path)")
        // For each input and encoding: from(text, encoding) as hex, and toString(encoding) of
        // the raw bytes as UTF-8 hex.
        let script = """
            const inputs = JSON.parse(require('fs').readFileSync(process.argv[2], 'utf8'));
            const encodings = [\(Self.encodings.map { "'\($0.rawValue)'" }.joined(separator: ", "))];
            process.stdout.write(JSON.stringify(inputs.map(([text, rawHex]) => {
              const raw = Buffer.from(rawHex, 'hex');
              return encodings.map((e) => [Buffer.from(text, e).toString('hex'),
                                           Buffer.from(raw.toString(e), 'utf8').toString('hex')]);
            })));
            """
        let texts = inputs.map { String(decoding: $0, as: UTF8.self) }
        let answers = try #require(try NodeOracle.run(script: script, input: zip(texts, inputs).map { [$0, Self.hex($1)] }) as? [[[String]]])
        try #require(answers.count == inputs.count)
        var mismatches: [String] = []
        for ((text, raw), node) in zip(zip(texts, inputs), answers) {
            for (k, e) in Self.encodings.enumerated() {
                let from = Buffer(text, encoding: e).toString(.hex)
                let printed = Self.utf8Hex(Buffer(raw).toString(e))
                if from != node[k][0] { mismatches.append("from(\(text.debugDescription), \(e)): \(from) vs node \(node[k][0])") }
                if printed != node[k][1] { mismatches.append("toString(\(e)) of \(Self.hex(raw)): \(printed) vs node \(node[k][1])") }
            }
        }
        print("fuzz corpus: FuzzBufferDecode \(inputs.count) inputs compared with node, \(mismatches.count) answers differ")
        NodeOracle.report(mismatches, of: inputs.count * Self.encodings.count * 2, "Buffer corpus")
    }

    @Test(.enabled(if: NodeOracle.available, "node is not installed")) func stringDecoderCorpusAgreesWithNode() throws {
        // As FuzzStringDecoder: byte 0 the encoding, byte 1 the cut count, then chunk lengths.
        var cases: [(BufferEncoding, [[UInt8]])] = []
        for input in FuzzCorpus.inputs("FuzzStringDecoder") where input.count >= 2 {
            let cuts = Int(input[1] % 8)
            guard input.count >= 2 + cuts else { continue }
            let body = Array(input[(2 + cuts)...])
            var chunks: [[UInt8]] = []
            var at = 0
            for n in input[2..<(2 + cuts)].map(Int.init) + [body.count] {
                let end = Swift.min(body.count, at + n)
                chunks.append(Array(body[at..<end]))
                at = end
            }
            cases.append((Self.encodings[Int(input[0]) % Self.encodings.count], chunks))
        }
        try #require(!cases.isEmpty, "no corpus at \(FuzzCorpus.seeds.path)")
        let script = """
            const { StringDecoder } = require('string_decoder');
            const cases = JSON.parse(require('fs').readFileSync(process.argv[2], 'utf8'));
            const u = (s) => Buffer.from(s, 'utf8').toString('hex');
            process.stdout.write(JSON.stringify(cases.map(([encoding, chunks]) => {
              const d = new StringDecoder(encoding);
              const parts = chunks.map((c) => d.write(Buffer.from(c, 'hex'))).concat([d.end()]);
              return [parts.map(u), u(parts.join(''))];
            })));
            """
        let input = cases.map { [$0.0.rawValue, $0.1.map(Self.hex)] as [Any] }
        let answers = try #require(try NodeOracle.run(script: script, input: input) as? [[Any]])
        try #require(answers.count == cases.count)
        var mismatches: [String] = []
        for ((encoding, chunks), node) in zip(cases, answers) {
            var d = StringDecoder(encoding)
            let parts = chunks.map { d.write(Buffer($0)) } + [d.end()]
            let ours = parts.map(Self.utf8Hex)
            let theirs = node.first as? [String] ?? []
            let whole = node.last as? String ?? ""
            // The whole text must agree. So must each chunk's, except for UTF-16LE: Node hands
            // out a high surrogate at once when an odd byte follows it (a JS string may hold half
            // a pair and the next chunk completes it); a Swift String cannot, so StringDecoder
            // holds it back until the pair is complete or the end shows it never will be.
            if Self.utf8Hex(parts.joined()) != whole || (encoding != .utf16le && ours != theirs) {
                mismatches.append("\(encoding) \(chunks.map(Self.hex)): ours \(ours) vs node \(theirs)")
            }
        }
        print("fuzz corpus: FuzzStringDecoder \(cases.count) inputs compared with node, \(mismatches.count) differ")
        NodeOracle.report(mismatches, of: cases.count, "StringDecoder corpus")
    }
}
