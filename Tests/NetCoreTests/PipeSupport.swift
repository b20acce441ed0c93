import Foundation
import Synchronization
import Testing

/// A fresh directory under /tmp for one test's socket files; `remove()` deletes it and all in it.
struct TempDir {
    /// The directory's absolute path.
    let path: String

    /// Creates the directory (`mkdtemp`); nil if that fails.
    init?() {
        var template = Array("/tmp/swift-net-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            return nil
        }
        path = String(cString: made)
    }

    /// The path of `name` inside the directory.
    func file(_ name: String) -> String { path + "/" + name }

    /// Deletes the directory and everything in it.
    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// Runs `body` with a fresh temporary directory, removed afterwards whatever happens.
func withTempDir(sourceLocation: SourceLocation = #_sourceLocation, _ body: (TempDir) throws -> Void) throws {
    let dir = try #require(TempDir(), "cannot create a temporary directory", sourceLocation: sourceLocation)
    defer { dir.remove() }
    try body(dir)
}

private let abstractNames = Atomic<Int>(0)

/// A Linux abstract socket name (leading NUL) no other test or process uses: it holds the pid
/// and a per-process counter.
func uniqueAbstractName(_ tag: String = "t") -> String {
    let n = abstractNames.add(1, ordering: .relaxed).newValue
    return "\0swift-net-\(getpid())-\(n)-\(tag)"
}

/// What `stat` says about a path: nil if it does not exist.
func fileMode(_ path: String) -> mode_t? {
    var st = stat()
    guard stat(path, &st) == 0 else { return nil }
    return st.st_mode
}

/// Whether `path` exists and is a socket.
func isSocketFile(_ path: String) -> Bool {
    guard let mode = fileMode(path) else { return false }
    return mode & S_IFMT == S_IFSOCK
}

/// This process's umask, read from /proc so that it is not changed even for a moment.
func currentUmask() -> mode_t? {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
    for line in status.split(separator: "\n") where line.hasPrefix("Umask:") {
        let digits = line.dropFirst("Umask:".count).trimmingCharacters(in: .whitespaces)
        return mode_t(digits, radix: 8)
    }
    return nil
}
