import Testing
import Foundation

/// A connect that names neither a port nor a path. Node throws `ERR_MISSING_ARGS` at run time;
/// in Swift the same calls do not compile, because every connect entry point requires a port,
/// a path or options built from one. These tests hand the calls to the compiler, against the
/// modules this test run was built with, and check that each is refused for its missing
/// argument while the same calls with a port are accepted.
@Suite struct ConnectArgumentTests {
    /// Type-checks `source` (which imports `Net`) against the built modules; returns the
    /// compiler's exit status and what it printed.
    private func typecheck(_ source: String) throws -> (status: Int32, output: String) {
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("swift-net-typecheck-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("main.swift")
        try source.write(to: file, atomically: true, encoding: .utf8)
        let modules = builtProduct("Modules")
        let cuv = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/CUV").path
        // The compiler's diagnostics go to stderr: the shell joins them to stdout for the reader.
        let command = ["swiftc", "-typecheck", "-I", modules, "-I", cuv, file.path].map { "'\($0)'" }
        let compiler = try #require(ChildProcess("/bin/sh", ["-c", command.joined(separator: " ") + " 2>&1"]))
        var lines: [String] = []
        while let line = compiler.readLine(timeout: 120) { lines.append(line) }
        guard let status = compiler.waitForExit(timeout: 120) else {
            compiler.stop()
            throw TypecheckTimedOut()
        }
        return (status, lines.joined(separator: "\n"))
    }

    struct TypecheckTimedOut: Error {}

    // node: test/parallel/test-net-connect-no-arg.js — net.connect(), new Socket().connect(),
    // net.connect({}) and new Socket().connect({}) are all refused for the missing port or path.
    @Test(arguments: [
        "_ = try Net.connect()",
        "_ = try Net.createConnection()",
        "_ = try Socket().connect()",
        "_ = try Net.connect(SocketConnectOptions())",
        "_ = try Socket().connect(SocketConnectOptions())",
    ])
    func connectWithoutPortOrPathIsRefused(call: String) throws {
        let result = try typecheck("import Net\n\(call)\n")
        #expect(result.status != 0, "`\(call)` must not compile")
        #expect(result.output.contains("error: missing argument"), "`\(call)`: \(result.output)")
        #expect(!result.output.contains("no such module"), "the built modules were not found: \(result.output)")
    }

    // The control: the same entry points with a port (or a path) are accepted, so a refusal
    // above is about the missing argument and not about the harness.
    @Test func connectWithAPortOrPathCompiles() throws {
        let result = try typecheck("""
            import Net
            _ = try Net.connect(port: 1)
            _ = try Net.createConnection(port: 1, host: "127.0.0.1")
            _ = try Socket().connect(port: 1)
            _ = try Net.connect(SocketConnectOptions(port: 1))
            _ = try Socket().connect(SocketConnectOptions(path: "/tmp/x.sock"))
            """)
        #expect(result.status == 0, "\(result.output)")
    }
}
