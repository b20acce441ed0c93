import Foundation

/// The inputs of the fuzz targets' corpora, for tests that compare them with Node: the seeds
/// committed in `Fuzz/Corpus`, plus the grown corpus that `make fuzz` points
/// `SWIFT_NET_FUZZ_CORPUS` at.
public enum FuzzCorpus {
    /// The committed seeds, `Fuzz/Corpus` at the top of the repository.
    public static let seeds = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fuzz/Corpus")

    /// Every input of `target` (seeds first, then the grown corpus), at most `limit`.
    public static func inputs(_ target: String, limit: Int = 50_000) -> [[UInt8]] {
        var dirs = [seeds.appendingPathComponent(target)]
        if let grown = ProcessInfo.processInfo.environment["SWIFT_NET_FUZZ_CORPUS"] {
            dirs.append(URL(fileURLWithPath: grown).appendingPathComponent(target))
        }
        var out: [[UInt8]] = []
        for dir in dirs {
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).sorted()
            for name in names where out.count < limit {
                if let data = FileManager.default.contents(atPath: dir.appendingPathComponent(name).path) {
                    out.append([UInt8](data))
                }
            }
        }
        return out
    }
}
