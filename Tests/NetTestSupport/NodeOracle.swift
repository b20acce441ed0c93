import Foundation
import Testing

/// Runs a short script under the local `node` binary (through `/usr/bin/env`) with a JSON input
/// file and returns the JSON it prints: Node's own answers, for differential tests.
public enum NodeOracle {
    /// Why the oracle could not answer.
    public struct Failure: Error, CustomStringConvertible {
        /// What went wrong.
        public var description: String
    }

    /// Whether a `node` binary can be started through `/usr/bin/env`.
    public static let available: Bool = {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["node", "--version"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }()

    /// Runs `node script.js input.json`; the script reads the file named by `process.argv[2]`
    /// and prints one JSON document, which is returned parsed.
    public static func run(script: String, input: Any) throws -> Any {
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("swift-net-oracle-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let scriptURL = dir.appendingPathComponent("oracle.js")
        let inputURL = dir.appendingPathComponent("input.json")
        let outputURL = dir.appendingPathComponent("output.json")
        let errorURL = dir.appendingPathComponent("stderr.txt")
        try Data(script.utf8).write(to: scriptURL)
        try JSONSerialization.data(withJSONObject: input).write(to: inputURL)
        _ = FileManager.default.createFile(atPath: outputURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errorURL.path, contents: nil)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["node", scriptURL.path, inputURL.path]
        process.standardOutput = try FileHandle(forWritingTo: outputURL)
        process.standardError = try FileHandle(forWritingTo: errorURL)
        do {
            try process.run()
        } catch {
            throw Failure(description: "cannot start /usr/bin/env node: \(error)")
        }
        process.waitUntilExit()
        let stderr = (try? String(contentsOf: errorURL, encoding: .utf8)) ?? ""
        if process.terminationStatus == 127 {
            throw Failure(description: "node not found on PATH: the differential tests need Node.js (\(stderr))")
        }
        guard process.terminationStatus == 0 else {
            throw Failure(description: "node exited with status \(process.terminationStatus): \(stderr)")
        }
        return try JSONSerialization.jsonObject(with: Data(contentsOf: outputURL), options: [.fragmentsAllowed])
    }

    /// Records the first few mismatches as issues, and the total as a failed expectation.
    public static func report(
        _ mismatches: [String], of total: Int, _ what: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        for m in mismatches.prefix(8) {
            Issue.record("\(what): \(m)", sourceLocation: sourceLocation)
        }
        #expect(mismatches.count == 0, "\(mismatches.count) of \(total) \(what) cases differ from node",
                sourceLocation: sourceLocation)
    }
}

/// SplitMix64: a small seeded generator, so every run checks the same cases.
public struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    /// A generator that starts from `seed`.
    public init(seed: UInt64) { state = seed }
    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Lowercase hex of bytes, written independently of `Buffer` so it can judge it.
public func hexString<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
    let digits = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    for b in bytes {
        out.append(digits[Int(b >> 4)])
        out.append(digits[Int(b & 15)])
    }
    return String(decoding: out, as: UTF8.self)
}
