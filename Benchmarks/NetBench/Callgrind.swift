#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Counts a server's user-space instructions with valgrind's callgrind.
///
/// The server runs under `valgrind --tool=callgrind`; `callgrind_control -d
/// PID` writes the counts so far to `OUTPUT.N` (N = 1, 2, … per process) and
/// zeroes them, so the Ir total of a dump is exactly what the server executed
/// since the previous one.
struct Callgrind {
    /// `valgrind`, `callgrind_control` and `callgrind_annotate`, as found in `PATH`.
    let valgrind: String, control: String, annotate: String
    /// Where the dump files and the tools' logs go.
    let directory: String

    /// Finds the three tools in `PATH`, or throws saying how to install them.
    static func locate(directory: String) throws -> Callgrind {
        let paths = (getenv("PATH").map { String(cString: $0) } ?? "/usr/bin:/bin").split(separator: ":")
        func find(_ name: String) throws -> String {
            for dir in paths where access("\(dir)/\(name)", X_OK) == 0 { return "\(dir)/\(name)" }
            throw ProcessError(description: "\(name) not found in PATH (install the valgrind package: make bench-instr does)")
        }
        return Callgrind(valgrind: try find("valgrind"), control: try find("callgrind_control"),
                         annotate: try find("callgrind_annotate"), directory: directory)
    }

    /// The dump file prefix for one server process.
    func outputBase(_ name: String) -> String { directory + "/callgrind.out.\(name)" }

    /// `server` (its command and arguments) run under callgrind, writing to `output`.
    func command(_ server: [String], output: String) -> [String] {
        [valgrind, "--tool=callgrind", "--callgrind-out-file=\(output)"] + server
    }

    /// Asks the server `pid` for a dump and waits for it; returns the file
    /// written, `output.number`.
    func dump(pid: pid_t, output: String, number: Int) throws -> String {
        _ = try ChildProcess.output(of: [control, "-d", String(pid)], errorLog: directory + "/callgrind_control.err",
                                    timeout: .seconds(60))
        let path = "\(output).\(number)"
        guard access(path, R_OK) == 0 else {
            throw ProcessError(description: "callgrind_control -d \(pid) wrote no \(path)")
        }
        return path
    }

    /// The Ir total of a dump: its `summary:` line (else `totals:`).
    static func instructions(inDump path: String) throws -> UInt64 {
        let lines = (ProcessStats.readFile(path) ?? "").split(separator: "\n")
        for key in ["summary: ", "totals: "] {
            if let line = lines.first(where: { $0.hasPrefix(key) }),
               let value = UInt64(line.dropFirst(key.count).split(separator: " ").first ?? "")
            {
                return value
            }
        }
        throw ProcessError(description: "no summary line in \(path)")
    }

    /// One function of `callgrind_annotate`'s list.
    struct Entry {
        /// Instructions executed in the function itself (self cost).
        var instructions: UInt64
        /// The function, demangled when it is a Swift symbol.
        var function: String
        /// The object file it lives in (the file name only).
        var object: String
    }

    /// The `top` functions of a dump by self cost, from `callgrind_annotate --inclusive=no`.
    ///
    /// callgrind_annotate lists a function once per source file its code came
    /// from (inlining); those lines are summed into one entry per function.
    /// Frames that were on the stack at both dumps (`main`, the loop's `run`)
    /// show the dump's whole total as their own; they are left out.
    func topFunctions(inDump path: String, top: Int) throws -> [Entry] {
        let lines = try ChildProcess.output(
            of: [annotate, "--inclusive=no", "--auto=no", "--threshold=100", path],
            errorLog: directory + "/callgrind_annotate.err", timeout: .seconds(120))
        let total = try Self.instructions(inDump: path)
        var entries: [Entry] = []
        for line in lines where !line.contains("PROGRAM TOTALS") {
            // "10,638,171 (19.59%)  file:function [object]" (or "( 9.98%)")
            let trimmed = line.drop(while: { $0 == " " })
            guard let space = trimmed.firstIndex(of: " "), let close = trimmed.range(of: "%)"),
                  trimmed[space...].drop(while: { $0 == " " }).hasPrefix("("),
                  let count = UInt64(trimmed[..<space].filter { $0 != "," }), count < total
            else { continue }
            var rest = String(trimmed[close.upperBound...].drop(while: { $0 == " " }))
            var object = ""
            if rest.hasSuffix("]"), let open = rest.range(of: " [", options: .backwards) {
                object = String(rest[open.upperBound..<rest.index(before: rest.endIndex)])
                    .split(separator: "/").last.map(String.init) ?? ""
                rest = String(rest[..<open.lowerBound])
            }
            let function = rest.firstIndex(of: ":").map { String(rest[rest.index(after: $0)...]) } ?? rest
            if let index = entries.firstIndex(where: { $0.function == function }) {
                entries[index].instructions += count
                if entries[index].object.isEmpty { entries[index].object = object }
            } else {
                entries.append(Entry(instructions: count, function: function, object: object))
            }
        }
        entries = Array(entries.sorted { $0.instructions > $1.instructions }.prefix(top))
        let names = Self.demangle(entries.map(\.function), log: directory + "/demangle.err")
        for index in entries.indices { entries[index].function = names[index] }
        return entries
    }

    /// Swift symbols (`$s…`) demangled with `swift demangle --simplified`;
    /// other names, or all of them when that fails, unchanged.
    static func demangle(_ names: [String], log: String) -> [String] {
        let swiftIndices = names.indices.filter { names[$0].hasPrefix("$s") }
        guard !swiftIndices.isEmpty,
              let plain = try? ChildProcess.output(
                of: ["swift", "demangle", "--simplified", "--compact"] + swiftIndices.map { names[$0] },
                errorLog: log, timeout: .seconds(60)),
              plain.count == swiftIndices.count
        else { return names }
        var result = names
        for (index, name) in zip(swiftIndices, plain) { result[index] = name }
        return result
    }
}
