import Foundation

/// Number formatting shared by the table and the progress lines.
enum Format {
    /// A figure with about three significant digits (`1524`, `98.7`, `3.14`, `0.052`).
    static func number(_ value: Double) -> String {
        let magnitude = abs(value)
        if magnitude >= 1000 { return grouped(value) }
        if magnitude >= 100 { return String(format: "%.0f", value) }
        if magnitude >= 10 { return String(format: "%.1f", value) }
        if magnitude >= 1 || magnitude == 0 { return String(format: "%.2f", value) }
        return String(format: "%.3f", value)
    }

    /// A ratio such as `0.93×`.
    static func ratio(_ value: Double) -> String {
        value >= 10 ? String(format: "%.0f×", value) : String(format: "%.2f×", value)
    }

    private static func grouped(_ value: Double) -> String {
        let digits = String(format: "%.0f", value.rounded())
        var out = ""
        for (i, c) in digits.reversed().enumerated() {
            if i > 0 && i % 3 == 0 && c != "-" { out.append(",") }
            out.append(c)
        }
        return String(out.reversed())
    }
}

/// Renders a `BenchmarkReport` as the plain-text tables net-bench prints
/// (and BENCHMARKS.md shows): one table of scenarios × servers, then the
/// allocation section.
struct ReportTable {
    /// The report to render.
    let report: BenchmarkReport

    /// Other load (percent of a CPU) above which a window counts as disturbed
    /// and its figures are marked `~`: `--max-other-load`, else 25.
    var disturbedPercent: Double { report.settings.maxOtherLoadPercent ?? 25 }

    /// The whole text.
    func render() -> String {
        var out = ""
        let m = report.machine
        out += "machine: \(m.cpus) CPUs, \(m.cpuModel), Linux \(m.kernel)\n"
        out += "pinning: \(report.pinning.summary)\n"
        if report.servers.contains(.net2), report.pinning.serverCPU != nil {
            out += "         except net-echo --loops 2, unpinned: its loops spread over the CPUs\n"
        }
        let s = report.settings
        out += "timing:  warm-up \(Format.number(s.warmupSeconds)) s, window \(Format.number(s.durationSeconds)) s, "
            + "best of \(s.repetitions) (server order alternating); idle \(s.idleConnections) connections\n"
        let others = report.rows.flatMap(\.cells).compactMap(\.otherCPUPercent)
        if let worst = others.max() {
            let mean = others.reduce(0, +) / Double(others.count)
            out += "other load on the machine during the windows: mean \(Format.number(mean))% of a CPU, "
                + "max \(Format.number(worst))%\n"
        }
        for (name, reason) in report.unavailable.sorted(by: { $0.key < $1.key }) {
            out += "unavailable: \(name): \(reason)\n"
        }
        out += "\n" + mainTable()
        if !report.allocations.isEmpty { out += "\n" + allocationTable() }
        out += String(format: "\nwhole run: %.0f s\n", report.elapsedSeconds)
        return out
    }

    /// One table per run of rows with the same columns (the echo rows, the http row, the proxy
    /// row: each has the servers that take part in it).
    private func mainTable() -> String {
        var groups: [(servers: [ServerKind], rows: [ScenarioRow])] = []
        for row in report.rows {
            let servers = row.cells.map(\.server)
            if let last = groups.last, last.servers == servers {
                groups[groups.count - 1].rows.append(row)
            } else {
                groups.append((servers, [row]))
            }
        }
        let tables = groups.map { table(servers: $0.servers, rows: $0.rows) }.joined(separator: "\n")
        var notes: [String] = []
        for row in report.rows {
            for cell in row.cells {
                guard let reason = cell.unavailable, report.unavailable[cell.server.rawValue] == nil else { continue }
                let note = "n/a: \(cell.server.rawValue) \(row.scenario.isShape ? row.scenario.rawValue + " " : "")"
                    + "\(row.transport.rawValue): \(reason)"
                if !notes.contains(note) { notes.append(note) }
            }
        }
        let references = Set(report.rows.map(\.scenario.referenceLabel))
        let divides = [("uv", "libuv C"), ("haproxy", "HAProxy")].filter { references.contains($0.0) }
            .map { "(× \($0.0)) by \($0.1)" }
        return tables
            + "ratios: \(divides.joined(separator: ", ")), (× node) by Node; for CPU per unit lower is better.\n"
            + "~: other processes used more than \(Format.number(disturbedPercent))% of a CPU during that window.\n"
            + notes.map { $0 + "\n" }.joined()
    }

    private func table(servers: [ServerKind], rows: [ScenarioRow]) -> String {
        var lines: [[String]] = [["scenario", "figure"] + servers.map(\.title)]
        for row in rows {
            let name = "\(row.scenario.rawValue)/\(row.transport.rawValue)"
            let cells = servers.map { kind in row.cells.first { $0.server == kind } }
            let reference = row.scenario.referenceLabel
            lines.append([name, row.scenario.throughputLabel] + cells.map { cell in
                text(cell, value: cell?.throughput, reference: reference,
                     ratios: { ($0.versusUV?.throughput, $0.versusNode?.throughput) })
            })
            switch row.scenario {
            case .idle:
                lines.append(["", "server RSS before (MiB)"] + cells.map { cell in
                    guard let cell, cell.unavailable == nil, let kib = cell.residentBeforeKiB else { return "n/a" }
                    return Format.number(Double(kib) / 1024)
                })
            default:
                let scale = row.scenario == .stream ? 1e3 : 1e6
                lines.append(["", row.scenario.cpuLabel] + cells.map { cell in
                    text(cell, value: cell?.cpuSecondsPerUnit.map { $0 * scale }, reference: reference,
                         ratios: { ($0.versusUV?.cpuSecondsPerUnit, $0.versusNode?.cpuSecondsPerUnit) })
                })
            }
            if row.scenario == .pingpong {
                lines.append(["", "latency p50/p99/p99.9 (µs)"] + cells.map { cell in
                    guard let cell, cell.unavailable == nil, let a = cell.p50Micros, let b = cell.p99Micros,
                          let c = cell.p999Micros else { return "n/a" }
                    return "\(Format.number(a)) / \(Format.number(b)) / \(Format.number(c))"
                })
            }
            if row.scenario == .http {
                lines.append(["", "latency p50/p99 (µs)"] + cells.map { cell in
                    guard let cell, cell.unavailable == nil, let a = cell.p50Micros, let b = cell.p99Micros
                    else { return "n/a" }
                    return "\(Format.number(a)) / \(Format.number(b))"
                })
            }
        }
        return Self.layout(lines)
    }

    private func text(_ cell: Measurement?, value: Double?, reference: String,
                      ratios: (Measurement) -> (Double?, Double?)) -> String {
        guard let cell else { return "-" }
        guard cell.unavailable == nil, let value else { return "n/a" }
        var parts: [String] = []
        let (uv, node) = ratios(cell)
        if let uv { parts.append("\(Format.ratio(uv)) \(reference)") }
        if let node { parts.append("\(Format.ratio(node)) node") }
        var text = Format.number(value)
        if !parts.isEmpty { text += " (" + parts.joined(separator: ", ") + ")" }
        if cell.errors > 0 { text += " [\(cell.errors) err]" }
        if let other = cell.otherCPUPercent, other > disturbedPercent { text += " ~" }
        return text
    }

    private func allocationTable() -> String {
        let kinds = ServerKind.allCases.filter { kind in report.allocations.contains { $0.server == kind } }
        var lines: [[String]] = [["allocations", "per"] + kinds.map(\.title)]
        var keys: [(Scenario, Transport)] = []
        for a in report.allocations where !keys.contains(where: { $0 == (a.scenario, a.transport) }) {
            keys.append((a.scenario, a.transport))
        }
        func rank(_ key: (Scenario, Transport)) -> Int {
            Scenario.allCases.firstIndex(of: key.0)! * 10 + Transport.allCases.firstIndex(of: key.1)!
        }
        keys.sort { rank($0) < rank($1) }
        for (scenario, transport) in keys {
            lines.append(["\(scenario.rawValue)/\(transport.rawValue)", scenario == .stream ? "MiB echoed" : scenario.unit]
                + kinds.map { kind in
                    guard let a = report.allocations.first(where: {
                        $0.server == kind && $0.scenario == scenario && $0.transport == transport
                    }) else { return "-" }
                    guard a.unavailable == nil, let calls = a.allocationsPerUnit, let bytes = a.bytesPerUnit else {
                        return "n/a"
                    }
                    return "\(Format.number(calls)) (\(Format.bytes(bytes)))"
                })
        }
        return Self.layout(lines)
            + "mallocs (malloc, calloc, realloc, posix_memalign, aligned_alloc, memalign, valloc) per unit "
            + "of work, and the bytes they asked for.\n"
    }

    /// Lays `lines` out as a Markdown table with padded columns; the first line is the header.
    static func layout(_ lines: [[String]]) -> String {
        let columns = lines.map(\.count).max() ?? 0
        var widths = [Int](repeating: 0, count: columns)
        for line in lines {
            for (i, cell) in line.enumerated() { widths[i] = max(widths[i], cell.count) }
        }
        var out = ""
        for (index, line) in lines.enumerated() {
            let padded = line.enumerated().map { i, cell in
                cell + String(repeating: " ", count: widths[i] - cell.count)
            }
            out += "| " + padded.joined(separator: " | ") + " |\n"
            if index == 0 {
                out += "|" + widths.map { String(repeating: "-", count: $0 + 2) }.joined(separator: "|") + "|\n"
            }
        }
        return out
    }
}

extension Format {
    /// Bytes as `88 B`, `64.0 KiB`, `1.50 MiB`.
    static func bytes(_ value: Double) -> String {
        if value >= 1_048_576 { return String(format: "%.2f MiB", value / 1_048_576) }
        if value >= 1024 { return String(format: "%.1f KiB", value / 1024) }
        return String(format: "%.0f B", value)
    }
}
