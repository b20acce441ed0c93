import Foundation

/// Helpers shared by the driver's commands: timestamped progress lines on
/// stderr and the run's private temp directory.
enum ProgressLog {
    /// A logger that prefixes each message with the seconds since `began`.
    static func start(at began: ContinuousClock.Instant) -> (String) -> Void {
        { message in
            let stamp = String(format: "%6.1f", seconds(since: began))
            FileHandle.standardError.write(Data("net-bench [\(stamp)s] \(message)\n".utf8))
        }
    }

    /// Seconds elapsed since `instant`.
    static func seconds(since instant: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - instant
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    /// Creates a fresh `/tmp/net-bench.XXXXXX` directory (sockets, logs, counter files).
    static func makeTemporaryDirectory() throws -> String {
        var template = Array("/tmp/net-bench.XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else {
            throw ProcessError(description: "mkdtemp failed")
        }
        return String(cString: made)
    }
}
