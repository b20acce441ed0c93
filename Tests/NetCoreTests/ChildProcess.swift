import Foundation
import Testing

/// A child process for interop tests: started with a pipe on stdout, read line by line with a
/// deadline, and stopped by its own pid.
final class ChildProcess {
    let process = Process()
    private let stdout = Pipe()
    private let exited = DispatchSemaphore(value: 0)
    private var pending = [UInt8]()

    /// Starts `executable` with `arguments`; nil (with a recorded issue) if it cannot start.
    init?(_ executable: String, _ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = stdout
        let exited = self.exited
        process.terminationHandler = { _ in exited.signal() }
        do {
            try process.run()
        } catch {
            Issue.record("cannot start \(executable): \(error)", sourceLocation: sourceLocation)
            return nil
        }
    }

    /// Starts `node -e script args…`.
    static func node(_ script: String, _ arguments: [String] = []) -> ChildProcess? {
        ChildProcess("/usr/bin/env", ["node", "-e", script, "--"] + arguments)
    }

    /// The next line the child prints, or nil if none comes within `timeout` seconds.
    func readLine(timeout: Double = 10) -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        let fd = stdout.fileHandleForReading.fileDescriptor
        while true {
            if let nl = pending.firstIndex(of: 10) {
                let line = String(decoding: pending[..<nl], as: UTF8.self)
                pending.removeSubrange(...nl)
                return line
            }
            let left = deadline.timeIntervalSinceNow
            if left <= 0 { return nil }
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, Int32(left * 1000)) > 0 else { return nil }
            var buf = [UInt8](repeating: 0, count: 4096)
            let n = read(fd, &buf, buf.count)
            if n <= 0 { return nil }
            pending += buf[..<n]
        }
    }

    /// Waits up to `timeout` seconds for the child to exit; its status, or nil if it did not.
    func waitForExit(timeout: Double = 30) -> Int32? {
        guard exited.wait(timeout: .now() + timeout) == .success else { return nil }
        exited.signal()
        return process.terminationStatus
    }

    /// Stops the child with SIGTERM (then SIGKILL if it lingers) and reaps it.
    func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGTERM) }
        if waitForExit(timeout: 5) == nil {
            kill(process.processIdentifier, SIGKILL)
            _ = waitForExit(timeout: 5)
        }
    }

    /// The port in a `listening HOST:PORT` line.
    static func port(fromListeningLine line: String?) -> Int? {
        guard let line, line.hasPrefix("listening "), let colon = line.lastIndex(of: ":") else { return nil }
        return Int(line[line.index(after: colon)...])
    }
}

/// The directory of the test binary, where SwiftPM also puts `net-echo`.
func builtProduct(_ name: String) -> String {
    let me = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    var dir = me.deletingLastPathComponent()
    // Inside an .xctest bundle directory the binary sits one level deeper.
    if dir.lastPathComponent.hasSuffix(".xctest") { dir = dir.deletingLastPathComponent() }
    return dir.appendingPathComponent(name).path
}
