#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The SwiftNIO baselines: `nio-echo`, a package of its own under `Benchmarks/nio-echo`
/// (so swift-net never depends on swift-nio), built in release like `net-echo`.
extension Toolchain {
    /// The `nio-echo` package.
    var nioEchoPackage: String { packageRoot + "/Benchmarks/nio-echo" }

    /// Builds `nio-echo` in release mode (the package's own `.build`, ignored by git) and returns
    /// its path, or throws with the reason it is unavailable.
    func buildNIOEcho(log: (String) -> Void) throws -> String {
        try buildRelease("nio-echo", package: nioEchoPackage, log: log)
    }

    /// Where `swift build -c release` puts `nio-echo`.
    func nioEchoPath() throws -> String {
        try releasePath(of: "nio-echo", package: nioEchoPackage)
    }

    /// A copy of `binary` without its DWARF sections (`strip --strip-debug`, symbols kept),
    /// written to the log directory: valgrind 3.19 gives up on the debug info of a SwiftNIO
    /// release build ("Possibly corrupted debuginfo file").
    func debugStrippedCopy(of binary: String) throws -> String {
        let copy = logDirectory + "/" + (binary.split(separator: "/").last.map(String.init) ?? "server") + ".stripped"
        try run(["strip", "--strip-debug", "-o", copy, binary], logName: "strip.log")
        return copy
    }
}

extension ServerKind {
    /// The SwiftNIO servers, all one `nio-echo` binary.
    var isNIO: Bool { self == .nio || self == .nioAsync }
}

extension ServerLaunch {
    /// `nio-echo` (with `--async` for `.nioAsync`), built unless `skipBuild`; a failed build
    /// makes the server unavailable, never ends the run.
    static func resolveNIO(_ kind: ServerKind, toolchain: Toolchain, skipBuild: Bool,
                           log: (String) -> Void) -> ServerLaunch {
        let mode = kind == .nioAsync ? ["--async"] : []
        do {
            let path = skipBuild ? try toolchain.nioEchoPath() : try toolchain.buildNIOEcho(log: log)
            return ServerLaunch(kind: kind, command: [path] + mode)
        } catch {
            log("nio-echo unavailable: \(error)")
            let firstLine = "\(error)".split(separator: "\n").first.map(String.init) ?? "build failed"
            return ServerLaunch(kind: kind, command: nil, unavailableReason: firstLine)
        }
    }

    /// The launch to run under callgrind: for the NIO servers, the same command on a
    /// debug-stripped copy of the binary (see `Toolchain.debugStrippedCopy(of:)`); others as they are.
    func forCallgrind(toolchain: Toolchain, log: (String) -> Void) -> ServerLaunch {
        guard kind.isNIO, let command, let binary = command.first else { return self }
        do {
            return ServerLaunch(kind: kind, command: [try toolchain.debugStrippedCopy(of: binary)] + command.dropFirst())
        } catch {
            log("\(kind.rawValue) unavailable under callgrind: \(error)")
            return ServerLaunch(kind: kind, command: nil, unavailableReason: "strip failed")
        }
    }
}
