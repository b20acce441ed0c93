#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Builds what the benchmark runs: the C programs (with `cc -O2`, into
/// `Benchmarks/bin/`, which git ignores) and `net-echo` (with SwiftPM, release).
struct Toolchain {
    /// The package root (the directory holding `Package.swift`).
    let packageRoot: String
    /// Where log files of builds go.
    let logDirectory: String

    /// Compiled C programs go here.
    var binDirectory: String { packageRoot + "/Benchmarks/bin" }

    /// The package root: `explicit` if given, else the nearest directory at or
    /// above the current one holding `Package.swift` and `Benchmarks/`.
    static func findPackageRoot(explicit: String?) throws -> String {
        if let explicit { return explicit }
        guard let cwd = getcwd(nil, 0) else {
            throw ProcessError(description: "getcwd failed")
        }
        var directory = String(cString: cwd)
        free(cwd)
        while true {
            if access(directory + "/Package.swift", F_OK) == 0
                && access(directory + "/Benchmarks/loadgen/loadgen.c", F_OK) == 0
            {
                return directory
            }
            guard let slash = directory.lastIndex(of: "/"), directory != "/" else {
                throw ProcessError(description:
                    "run net-bench inside the swift-net package (or pass --package-path)")
            }
            directory = slash == directory.startIndex ? "/" : String(directory[..<slash])
        }
    }

    /// The compiled C programs.
    struct Programs {
        /// The libuv C echo server.
        var uvEcho: String
        /// The load generator.
        var loadgen: String
        /// The LD_PRELOAD allocation counter.
        var mallocCounter: String
    }

    /// Compiles the C programs that are missing or older than their sources.
    func buildCPrograms(log: (String) -> Void) throws -> Programs {
        mkdir(binDirectory, 0o755)
        let uvFlags = (try? capture(["pkg-config", "--cflags", "--libs", "libuv"]))?
            .split(separator: " ").map(String.init) ?? ["-luv"]
        let source = packageRoot + "/Benchmarks/"
        let programs = Programs(
            uvEcho: binDirectory + "/uv-echo",
            loadgen: binDirectory + "/loadgen",
            mallocCounter: binDirectory + "/libmalloc-count.so")
        let jobs: [(output: String, sources: [String], flags: [String])] = [
            (programs.uvEcho, [source + "uv-echo/uv-echo.c"], uvFlags),
            (programs.loadgen, [source + "loadgen/loadgen.c", source + "loadgen/histogram.h"], uvFlags),
            (programs.mallocCounter, [source + "malloc-count/malloc-count.c"], ["-shared", "-fPIC"]),
        ]
        for job in jobs {
            let newest = job.sources.compactMap(Self.modificationTime).max() ?? .max
            if let built = Self.modificationTime(job.output), built >= newest { continue }
            log("cc -O2 \(job.sources[0].dropFirst(source.count)) -> Benchmarks/bin/\(job.output.split(separator: "/").last!)")
            let cFiles = job.sources.filter { $0.hasSuffix(".c") }
            try run(["cc", "-O2", "-Wall", "-o", job.output] + cFiles + job.flags, logName: "cc.log")
        }
        return programs
    }

    /// Builds `net-echo` in release mode (SwiftPM's default scratch path) and
    /// returns its path, or throws with the reason it is unavailable.
    func buildNetEcho(log: (String) -> Void) throws -> String {
        try buildRelease("net-echo", package: packageRoot, log: log)
    }

    /// Where `swift build -c release` puts `net-echo`.
    func netEchoPath() throws -> String {
        try releasePath(of: "net-echo", package: packageRoot)
    }

    /// Builds `product` of the package at `package` in release mode and returns its path, or
    /// throws with the reason it is unavailable (the build log's tail).
    func buildRelease(_ product: String, package: String, log: (String) -> Void) throws -> String {
        let relative = package == packageRoot ? "" : " --package-path " + package.dropFirst(packageRoot.count + 1)
        log("swift build -c release\(relative) --product \(product)")
        try run(["swift", "build", "--package-path", package, "-c", "release", "--product", product],
                logName: "swift-build-\(product).log")
        return try releasePath(of: product, package: package)
    }

    /// Where `swift build -c release` puts `product` of the package at `package`.
    func releasePath(of product: String, package: String) throws -> String {
        let binPath = try capture(["swift", "build", "--package-path", package, "-c", "release", "--show-bin-path"])
        let path = binPath + "/" + product
        guard access(path, X_OK) == 0 else {
            throw ProcessError(description: "\(path) does not exist")
        }
        return path
    }

    /// Runs a command to completion; throws with the tail of its log on failure.
    func run(_ arguments: [String], logName: String) throws {
        let logPath = logDirectory + "/" + logName
        let child = try ChildProcess.spawn(
            name: arguments[0], arguments: arguments, stdout: .file(logPath), stderr: .file(logPath + ".err"))
        let status = child.wait(timeout: .seconds(1800))
        guard status == 0 else {
            let output = (ProcessStats.readFile(logPath) ?? "") + (ProcessStats.readFile(logPath + ".err") ?? "")
            let tail = output.split(separator: "\n").suffix(15).joined(separator: "\n")
            throw ProcessError(description:
                "`\(arguments.joined(separator: " "))` failed (\(ChildProcess.describe(status: status))):\n\(tail)")
        }
    }

    /// Runs a command and returns its stdout, trimmed.
    func capture(_ arguments: [String]) throws -> String {
        let lines = try ChildProcess.output(of: arguments, errorLog: logDirectory + "/capture.err")
        return lines.joined(separator: "\n").split(separator: "\n").last.map(String.init) ?? ""
    }

    /// A file's modification time in nanoseconds, or nil if it is missing.
    private static func modificationTime(_ path: String) -> Int? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return info.st_mtim.tv_sec * 1_000_000_000 + info.st_mtim.tv_nsec
    }
}
