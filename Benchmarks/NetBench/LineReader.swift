#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Reads lines from a pipe with a deadline, using `poll` (no sleeping).
///
/// While it waits it also drains other pipes (`draining:`), discarding what
/// they say, so a chatty server can never block on a full stdout pipe.
final class LineReader {
    /// What a read produced.
    enum Outcome: Equatable {
        /// One line, without its newline.
        case line(String)
        /// The writer closed the pipe (no more lines).
        case eof
        /// The deadline passed first.
        case timeout
    }

    /// The pipe's read end (owned: closed on deinit).
    let fd: Int32
    private var buffer: [UInt8] = []
    /// True once the writer has closed the pipe.
    private(set) var isAtEOF = false

    /// Wraps `fd`, which must be a pipe's read end.
    init(fd: Int32) {
        self.fd = fd
    }

    deinit {
        close(fd)
    }

    /// The next line, or `.eof` / `.timeout`.
    func readLine(until deadline: ContinuousClock.Instant, draining others: [LineReader] = []) -> Outcome {
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: buffer[..<newline], as: UTF8.self)
                buffer.removeSubrange(...newline)
                return .line(line)
            }
            if isAtEOF {
                if buffer.isEmpty { return .eof }
                let line = String(decoding: buffer, as: UTF8.self)
                buffer.removeAll()
                return .line(line)
            }
            let remaining = deadline - ContinuousClock.now
            if remaining <= .zero { return .timeout }
            let waiting = [self] + others.filter { $0 !== self && !$0.isAtEOF }
            var fds = waiting.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
            let ms = Int32(min(remaining / .milliseconds(1), 60_000).rounded(.up))
            let ready = poll(&fds, nfds_t(fds.count), max(ms, 1))
            if ready < 0 && errno != EINTR { return .eof }
            for (index, entry) in fds.enumerated() where entry.revents != 0 {
                waiting[index].fill(keep: index == 0)
            }
        }
    }

    /// Reads what is available; keeps it only if `keep`.
    private func fill(keep: Bool) {
        var chunk = [UInt8](repeating: 0, count: 4096)
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n > 0 {
            if keep { buffer.append(contentsOf: chunk[..<n]) }
        } else if n == 0 || (errno != EINTR && errno != EAGAIN) {
            isAtEOF = true
        }
    }
}
