import Foundation
import Testing

/// Runs a short script under the local `node` binary (found through `/usr/bin/env`) with a JSON
/// input file, and returns its JSON output: the reference answers for the differential tests.
enum NodeOracle {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Runs `script` as `node script.js input.json`; the script prints one JSON document.
    static func run(script: String, input: Any) throws -> Any {
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("netextras-diff-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let scriptURL = dir.appendingPathComponent("oracle.js")
        let inputURL = dir.appendingPathComponent("input.json")
        let errorURL = dir.appendingPathComponent("stderr.txt")
        try Data(script.utf8).write(to: scriptURL)
        try JSONSerialization.data(withJSONObject: input).write(to: inputURL)
        _ = FileManager.default.createFile(atPath: errorURL.path, contents: nil)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["node", scriptURL.path, inputURL.path]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = try FileHandle(forWritingTo: errorURL)
        do {
            try process.run()
        } catch {
            throw Failure(description: "cannot start /usr/bin/env node: \(error)")
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let stderr = (try? String(contentsOf: errorURL, encoding: .utf8)) ?? ""
        if process.terminationStatus == 127 {
            throw Failure(description: "node not found on PATH: the differential tests need Node.js (\(stderr))")
        }
        guard process.terminationStatus == 0 else {
            throw Failure(description: "node exited with status \(process.terminationStatus): \(stderr)")
        }
        return try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
    }

    /// Records the first few mismatches as issues, each on its own, and the total.
    static func report(_ mismatches: [String], of total: Int, _ what: String,
                       sourceLocation: SourceLocation = #_sourceLocation) {
        for m in mismatches.prefix(8) {
            Issue.record("\(what): \(m)", sourceLocation: sourceLocation)
        }
        #expect(mismatches.count == 0, "\(mismatches.count) of \(total) \(what) cases differ from node",
                sourceLocation: sourceLocation)
    }
}

/// SplitMix64: a small seeded generator, so every run tests the same cases.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
