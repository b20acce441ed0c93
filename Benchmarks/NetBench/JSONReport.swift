import Foundation

/// Writes a `BenchmarkReport` as JSON (`--json PATH`): the same figures as the
/// table, in base units (seconds of CPU per unit, KiB), with the ratios.
enum JSONReport {
    /// Encodes `report` (pretty-printed, sorted keys) into `path`.
    static func write(_ report: BenchmarkReport, to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let data = try encoder.encode(report)
        try data.write(to: URL(fileURLWithPath: path))
    }
}
