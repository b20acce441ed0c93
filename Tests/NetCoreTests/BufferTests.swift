import Testing
import NetTestSupport
import Foundation
@testable import NetCore

// Buffer follows Node's `buffer` module: Buffer.from(string, encoding), buf.toString(encoding,
// start, end), subarray/slice and util.inspect's text; the expected values were printed by
// node v20.
@Suite struct BufferTests {
    static let sample = "héllo €𝄞"

    @Test func encodeEachEncoding() {
        let s = BufferTests.sample
        #expect(hexString(Buffer(s, encoding: .utf8)) == "68c3a96c6c6f20e282acf09d849e")
        #expect(hexString(Buffer(s, encoding: .utf16le)) == "6800e9006c006c006f002000ac2034d81edd")
        // latin1 and ascii keep the low byte of every UTF-16 code unit.
        #expect(hexString(Buffer(s, encoding: .latin1)) == "68e96c6c6f20ac341e")
        #expect(hexString(Buffer(s, encoding: .ascii)) == "68e96c6c6f20ac341e")
        #expect(hexString(Buffer("68656c6c6f", encoding: .hex)) == "68656c6c6f")
        #expect(hexString(Buffer("aGVsbG8=", encoding: .base64)) == "68656c6c6f")
        #expect(hexString(Buffer("-_8", encoding: .base64url)) == "fbff")
        #expect(Buffer.from("hello").toString() == "hello")
    }

    @Test func decodeEachEncoding() {
        let hello: Buffer = "hello"
        #expect(hello.toString(.hex) == "68656c6c6f")
        #expect(hello.toString(.base64) == "aGVsbG8=")
        #expect(Buffer([0xfb, 0xff]).toString(.base64) == "+/8=")
        #expect(Buffer([0xfb, 0xff]).toString(.base64url) == "-_8")
        #expect(Buffer([0x68, 0xe9]).toString(.latin1) == "hé")
        // ascii clears the high bit.
        #expect(Buffer([0xe9, 0x41, 0xff]).toString(.ascii) == "iA\u{7f}")
        // utf16le ignores an odd last byte; surrogate pairs join.
        #expect(Buffer([0x61, 0x00, 0x62]).toString(.utf16le) == "a")
        #expect(Buffer([0x3d, 0xd8, 0x00, 0xde]).toString(.utf16le) == "😀")
        #expect(Buffer(BufferTests.sample, encoding: .utf16le).toString(.utf16le) == BufferTests.sample)
    }

    @Test func encodingNamesAsNodeSpellsThem() {
        #expect(BufferEncoding(name: "UTF-8") == .utf8)
        #expect(BufferEncoding(name: "ucs2") == .utf16le)
        #expect(BufferEncoding(name: "UCS-2") == .utf16le)
        #expect(BufferEncoding(name: "binary") == .latin1)
        #expect(BufferEncoding(name: "Base64URL") == .base64url)
        #expect(BufferEncoding(name: "utf32") == nil)
    }

    // Node's base64 decoder skips characters outside the alphabet, accepts both alphabets, and
    // stops at the first '='.
    @Test func base64DecodingIsLenient() {
        #expect(Buffer(" aG Vs\nbG8=IGlnbm9yZWQ", encoding: .base64).toString() == "hello")
        #expect(Buffer("aGVsbG8", encoding: .base64url).toString() == "hello")
        #expect(hexString(Buffer("-_-_", encoding: .base64)) == "fbffbf")
        #expect(hexString(Buffer("+/+/", encoding: .base64url)) == "fbffbf")
        #expect(hexString(Buffer("YQ==YQ==", encoding: .base64)) == "61")
        #expect(hexString(Buffer("YW=JJ", encoding: .base64)) == "61")
        #expect(Buffer("Y", encoding: .base64).count == 0)
    }

    // Node's hex and base64 decoders look at the low byte of each UTF-16 code unit: U+0547 reads
    // as "G", U+013D as "=" (the end of base64), U+0161 as "a" (node v20).
    @Test func hexAndBase64ReadTheLowByteOfEachCharacter() {
        #expect(hexString(Buffer("\u{547}\u{547}", encoding: .base64)) == "18")
        #expect(hexString(Buffer("YQ\u{13D}YQ==", encoding: .base64)) == "61")
        #expect(hexString(Buffer("\u{161}\u{161}", encoding: .hex)) == "aa")
        #expect(hexString(Buffer("\u{161}\u{161}é", encoding: .hex)) == "aa")
        // An astral character is two units: U+205DD is D841 DDDD, low bytes "A" and 0xDD (skipped).
        #expect(hexString(Buffer("\u{205DD}\u{547}I\u{58B7}Z", encoding: .base64)) == "006219")
        #expect(Buffer("é", encoding: .base64).count == 0)
    }

    // Node's hex decoder stops at the first pair that is not two hex digits.
    @Test func hexDecodingStopsAtTheFirstBadPair() {
        #expect(hexString(Buffer("ab cd", encoding: .hex)) == "ab")
        #expect(hexString(Buffer("abc", encoding: .hex)) == "ab")
        #expect(hexString(Buffer("ABcd", encoding: .hex)) == "abcd")
        #expect(Buffer("zz12", encoding: .hex).count == 0)
        #expect(hexString(Buffer("12g4", encoding: .hex)) == "12")
    }

    // Malformed UTF-8 becomes one U+FFFD per maximal subpart (the Unicode/WHATWG practice
    // V8 follows); a BOM is kept.
    @Test func malformedUTF8BecomesReplacementCharacters() {
        let bytes: [UInt8] = [0x61, 0xF1, 0x80, 0x80, 0xE1, 0x80, 0xC2, 0x62, 0x80, 0x63, 0x80, 0xBF, 0x64]
        #expect(Buffer(bytes).toString() == "a\u{FFFD}\u{FFFD}\u{FFFD}b\u{FFFD}c\u{FFFD}\u{FFFD}d")
        // A surrogate encoded in UTF-8, an out-of-range lead, an overlong form, then a BOM.
        let more: [UInt8] = [0xED, 0xA0, 0x80, 0x41, 0xF4, 0x90, 0x80, 0x80, 0xC0, 0xAF, 0xEF, 0xBB, 0xBF, 0x42]
        let r = "\u{FFFD}"
        #expect(Buffer(more).toString() == r + r + r + "A" + r + r + r + r + r + r + "\u{FEFF}B")
    }

    @Test func byteLength() {
        let s = BufferTests.sample
        #expect(Buffer.byteLength(s) == 14)
        #expect(Buffer.byteLength(s, encoding: .utf16le) == 18)
        #expect(Buffer.byteLength(s, encoding: .latin1) == 9)
        #expect(Buffer.byteLength("aGVsbG8=", encoding: .base64) == 5)
        #expect(Buffer.byteLength("abcd", encoding: .hex) == 2)
    }

    // subarray/slice: views of the same bytes; negative indices count from the end; both ends
    // are clamped; an end before the start gives an empty view.
    @Test func subarrayAndSliceIndices() {
        let b: Buffer = "hello"
        #expect(b.subarray(-3, -1).toString() == "ll")
        #expect(b.slice(-10, 2).toString() == "he")
        #expect(b.subarray(4, 2).count == 0)
        #expect(b.subarray(1).toString() == "ello")
        #expect(b.subarray(2, 100).toString() == "llo")
        #expect(b.subarray(-2).toString() == "lo")
        #expect(b.subarray(5).count == 0)
        #expect(b[1..<3].toString() == "el")
        // A view shares storage; no copy is made.
        let view = b.subarray(1, 4)
        #expect(view.storage === b.storage)
        #expect(view.subarray(1).toString() == "ll")
    }

    // Changing a buffer never changes another holder of the same bytes (Buffer is a value).
    @Test func mutationCopiesSharedStorage() {
        let original: Buffer = "hello"
        var view = original.subarray(1, 3)
        view[0] = UInt8(ascii: "a")
        #expect(view.toString() == "al")
        #expect(original.toString() == "hello")
        var copy = original
        copy[0] = UInt8(ascii: "j")
        #expect(copy.toString() == "jello")
        #expect(original.toString() == "hello")
    }

    // toString(encoding, start, end) as Node: a start at or below 0 means 0, an end past the
    // buffer means its length, and an end at or before the start gives "" — negative values do
    // not count from the end here.
    @Test func toStringRange() {
        let b: Buffer = "hello"
        #expect(b.toString(.utf8, start: 1, end: 3) == "el")
        #expect(b.toString(.utf8, start: -3) == "hello")
        #expect(b.toString(.utf8, start: 2, end: 100) == "llo")
        #expect(b.toString(.utf8, start: 3, end: 2) == "")
        #expect(b.toString(.utf8, start: 0, end: -1) == "")
        #expect(b.toString(.utf8, start: 10) == "")
        #expect(b.toString(.hex, start: 1, end: 2) == "65")
    }

    @Test func descriptionAsNodeInspectsIt() {
        let hello: Buffer = "hello"
        #expect(hello.description == "<Buffer 68 65 6c 6c 6f>")
        #expect(Buffer().description == "<Buffer >")
        let fifty = String(repeating: " 01", count: 50)
        #expect(Buffer(count: 51, fill: 1).description == "<Buffer\(fifty) ... 1 more byte>")
        #expect(Buffer(count: 52, fill: 1).description == "<Buffer\(fifty) ... 2 more bytes>")
        #expect(Buffer(count: 50, fill: 1).description == "<Buffer\(fifty)>")
    }

    @Test func concatAndEquality() {
        let joined = Buffer.concat(["ab", Buffer(), "cd"])
        #expect(joined.toString() == "abcd")
        #expect(joined == Buffer("abcd"))
        #expect(joined.equals("abcd"))
        #expect(joined != Buffer("abce"))
        #expect(Buffer.concat([]).count == 0)
        #expect(Buffer.alloc(3, fill: 7) == [7, 7, 7])
    }

    // Regression (fuzz: FuzzStringDecoder, Fuzz/Corpus/FuzzStringDecoder/regression-buffer-
    // sequence-uaf): Buffer(sequence) copied from a pointer that had escaped withUnsafeBytes,
    // reading freed memory once optimisation ended the array's life early. A debug build keeps
    // the array alive, so this passes there either way; the fuzz build (release +
    // AddressSanitizer) replays the input on every `make fuzz`.
    @Test func bufferFromASequenceCopiesTheBytes() {
        let input: [UInt8] = [0x06, 0x02, 0x01, 0x01, 0x00, 0xFF, 0x10]
        for start in 0...input.count {
            let slice = input[start...]
            let b = Buffer(slice)
            #expect(Array(b) == Array(slice))
            #expect(Buffer(slice.lazy.map { $0 }) == b)
            #expect(Buffer(AnySequence(slice)) == b)
        }
        var d = StringDecoder(.hex)
        #expect(d.write(Buffer(input[4...])) == "00ff10")
    }

    // Differential: a few thousand seeded byte strings and strings, decoded and encoded with
    // every encoding by Buffer and by node; every answer must be the same.
    @Test(.enabled(if: NodeOracle.available, "node is not installed"))
    func matchesNodeOnGeneratedInputs() throws {
        var rng = SeededGenerator(seed: 0x6E65_7463_6F72_6531)
        let encodings = BufferEncoding.allCases
        let byteCases = (0..<3000).map { _ in Self.randomBytes(&rng) }
        let stringCases = (0..<2000).map { i in Self.randomString(&rng, alphabet: i % 4) }
        let rangeCases: [[Int]] = (0..<500).map { _ in
            [Int.random(in: 0..<byteCases.count, using: &rng), Int.random(in: -8...24, using: &rng),
             Int.random(in: -8...24, using: &rng)]
        }
        let input: [String: Any] = [
            "encodings": encodings.map(\.rawValue),
            "bytes": byteCases.map { hexString($0) },
            "strings": stringCases,
            "ranges": rangeCases,
        ]
        let script = """
            const fs = require('fs');
            const input = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
            const u = (s) => Buffer.from(s, 'utf8').toString('hex');
            const bufs = input.bytes.map((h) => Buffer.from(h, 'hex'));
            const out = {
              decoded: bufs.map((b) => input.encodings.map((e) => u(b.toString(e)))),
              encoded: input.strings.map((s) => input.encodings.map((e) => Buffer.from(s, e).toString('hex'))),
              byteLength: input.strings.map((s) => ['utf8', 'utf16le', 'latin1', 'ascii'].map((e) => Buffer.byteLength(s, e))),
              ranges: input.ranges.map(([i, s, e]) => [u(bufs[i].toString('utf8', s, e)), bufs[i].subarray(s, e).toString('hex')]),
            };
            process.stdout.write(JSON.stringify(out));
            """
        let output = try #require(try NodeOracle.run(script: script, input: input) as? [String: Any])
        let decoded = try #require(output["decoded"] as? [[String]])
        let encoded = try #require(output["encoded"] as? [[String]])
        let lengths = try #require(output["byteLength"] as? [[Int]])
        let ranges = try #require(output["ranges"] as? [[String]])

        var mismatches: [String] = []
        for (i, bytes) in byteCases.enumerated() {
            let buffer = Buffer(bytes)
            for (k, e) in encodings.enumerated() {
                let mine = hexString(Array(buffer.toString(e).utf8))
                if mine != decoded[i][k] {
                    mismatches.append("toString(\(e)) of \(hexString(bytes)): \(mine) vs node \(decoded[i][k])")
                }
            }
        }
        for (i, s) in stringCases.enumerated() {
            for (k, e) in encodings.enumerated() {
                let mine = hexString(Buffer(s, encoding: e))
                if mine != encoded[i][k] {
                    mismatches.append("from(\(s.debugDescription), \(e)): \(mine) vs node \(encoded[i][k])")
                }
            }
            for (k, e) in [BufferEncoding.utf8, .utf16le, .latin1, .ascii].enumerated() {
                let mine = Buffer.byteLength(s, encoding: e)
                if mine != lengths[i][k] {
                    mismatches.append("byteLength(\(s.debugDescription), \(e)): \(mine) vs node \(lengths[i][k])")
                }
            }
        }
        for (r, c) in rangeCases.enumerated() {
            let buffer = Buffer(byteCases[c[0]])
            let text = hexString(Array(buffer.toString(.utf8, start: c[1], end: c[2]).utf8))
            let view = hexString(buffer.subarray(c[1], c[2]))
            if text != ranges[r][0] {
                mismatches.append("toString(utf8, \(c[1]), \(c[2])) of \(hexString(byteCases[c[0]])): \(text) vs node \(ranges[r][0])")
            }
            if view != ranges[r][1] {
                mismatches.append("subarray(\(c[1]), \(c[2])) of \(hexString(byteCases[c[0]])): \(view) vs node \(ranges[r][1])")
            }
        }
        NodeOracle.report(mismatches, of: byteCases.count + stringCases.count + rangeCases.count, "Buffer")
    }

    /// Up to 48 bytes, biased towards the interesting parts of UTF-8: ASCII, continuation bytes,
    /// lead bytes (valid and not), so both well-formed and broken sequences come up often.
    static func randomBytes(_ rng: inout SeededGenerator) -> [UInt8] {
        let length = Int.random(in: 0...48, using: &rng)
        return (0..<length).map { _ in
            switch Int.random(in: 0..<10, using: &rng) {
            case 0..<4: return UInt8.random(in: 0x20...0x7E, using: &rng)
            case 4..<7: return UInt8.random(in: 0x80...0xBF, using: &rng)
            case 7..<9: return UInt8.random(in: 0xC0...0xFF, using: &rng)
            default: return UInt8.random(in: 0...0xFF, using: &rng)
            }
        }
    }

    /// Up to 40 characters. Alphabet 0: any Unicode mix (ASCII, Latin-1, BMP, astral); 1: base64
    /// text with noise; 2: hex text with noise; 3: ASCII with controls.
    static func randomString(_ rng: inout SeededGenerator, alphabet: Int) -> String {
        let length = Int.random(in: 0...40, using: &rng)
        // Besides noise, characters whose low byte is in the alphabet (Շ → G, Ľ → =, š → a).
        let base64 = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_====  \n.*éՇĽ".unicodeScalars)
        let hex = Array("0123456789abcdefABCDEF0123456789abcdef g-éš".unicodeScalars)
        var s = String.UnicodeScalarView()
        for _ in 0..<length {
            switch alphabet {
            case 1: s.append(base64[Int.random(in: 0..<base64.count, using: &rng)])
            case 2: s.append(hex[Int.random(in: 0..<hex.count, using: &rng)])
            case 3: s.append(Unicode.Scalar(UInt8.random(in: 0...0x7F, using: &rng)))
            default:
                let ranges: [ClosedRange<UInt32>] = [0x20...0x7E, 0x80...0xFF, 0x100...0x7FF, 0x800...0xD7FF,
                                                     0xE000...0xFFFF, 0x10000...0x10FFFF]
                let range = ranges[Int.random(in: 0..<ranges.count, using: &rng)]
                if let scalar = Unicode.Scalar(UInt32.random(in: range, using: &rng)) { s.append(scalar) }
            }
        }
        return String(s)
    }
}
