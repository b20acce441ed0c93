import Testing
import Foundation
@testable import NetCore
import NetTestSupport

/// Random operation sequences on a connected socket pair, run by Node (v20, with Node 22's
/// 64 KiB high-water mark) and by our `Socket`s; the per-side transcripts of events, write
/// results and state must match line for line.
///
/// Each step runs once the previous one has settled (see `StreamPairRun.settle`), so what a
/// side sees during a step depends only on the semantics, not on timing. The sides are compared
/// separately, since how A's events interleave with B's is timing. A failure names the seed and
/// the sequence; rerun it with `SWIFT_NET_STREAM_SEED=<seed>` (and `SWIFT_NET_STREAM_SEQUENCES`
/// for more or fewer sequences).
///
/// The transcripts are compared as they are, with nothing normalised. The races that would
/// need it are avoided instead: a step starts only once the peer has read what it can (so a
/// reset is read as ECONNRESET before the next write could meet EPIPE), data events are summed
/// (chunking differs), and the generator leaves out paused sockets meeting a teardown and
/// repeated large writes, where the outcome depends on kernel buffers (see
/// `StreamSequence.Rules`).
@Suite(.serialized) struct StreamDifferentialTests {
    static let seed: UInt64 = ProcessInfo.processInfo.environment["SWIFT_NET_STREAM_SEED"]
        .flatMap { UInt64($0) } ?? 20_240_611
    static let count = ProcessInfo.processInfo.environment["SWIFT_NET_STREAM_SEQUENCES"]
        .flatMap { Int($0) } ?? 150

    @Test(.enabled(if: NodeOracle.available, "node is not installed"))
    func randomSequencesMatchNode() throws {
        let sequences = StreamSequence.generate(count: Self.count, seed: Self.seed)
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("swift-net-stream-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("sequences.json")
        try JSONSerialization.data(withJSONObject: sequences.map(\.json)).write(to: input)

        // Node works through the same sequences in its own process meanwhile.
        let node = try #require(ChildProcess.node(StreamDifferentialScript.source, [input.path]))
        defer { node.stop() }
        let ours = sequences.map { StreamPairRun.transcript(of: $0) }

        var mismatches: [String] = []
        for (i, sequence) in sequences.enumerated() {
            guard let line = node.readLine(timeout: 30) else {
                Issue.record("node printed no transcript for sequence \(i) within 30 s (seed \(Self.seed))")
                return
            }
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: [String]]
            else {
                Issue.record("node printed \(line) for sequence \(i)")
                return
            }
            for side in ["A", "B"] {
                let theirs = object[side] ?? []
                let mine = ours[i][side] ?? []
                if theirs != mine {
                    mismatches.append("""
                        seed \(Self.seed) sequence \(i) side \(side): \(sequence)
                          node:  \(theirs.joined(separator: " · "))
                          ours:  \(mine.joined(separator: " · "))
                          other side (node): \((object[side == "A" ? "B" : "A"] ?? []).joined(separator: " · "))
                        """)
                }
            }
        }
        NodeOracle.report(mismatches, of: sequences.count * 2, "stream transcript (seed \(Self.seed))")
    }
}
