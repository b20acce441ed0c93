import Foundation
import Testing

/// A blocking TCP client for the load balancer tests: bound to a chosen loopback address, every
/// read bounded by a receive timeout.
final class BlockingClient: @unchecked Sendable {
    // @unchecked Sendable: a test hands a client to one other thread and stops using it itself;
    // its descriptor is never used by two threads at once.
    let fd: Int32
    /// The client's own port (what the balancer sees).
    private(set) var localPort = 0

    /// Connects from `source` (any port) to 127.0.0.1:`port`; nil if that fails.
    init?(from source: String, to port: Int, timeoutSeconds: Int = 10) {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        var tv = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var local = BlockingClient.address(source, 0)
        var remote = BlockingClient.address("127.0.0.1", port)
        let len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafePointer(to: &local) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } } == 0
            && withUnsafePointer(to: &remote) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, len) } } == 0
        guard ok else {
            close(fd)
            return nil
        }
        var bound = sockaddr_in()
        var n = len
        _ = withUnsafeMutablePointer(to: &bound) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &n) } }
        localPort = Int(UInt16(bigEndian: bound.sin_port))
    }

    deinit { close(fd) }

    static func address(_ ip: String, _ port: Int) -> sockaddr_in {
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_port = UInt16(port).bigEndian
        a.sin_addr.s_addr = inet_addr(ip)
        return a
    }

    /// Sends `bytes` in pieces, collecting what comes back meanwhile; then ends the sending side
    /// and reads until the peer ends (or a read times out). Returns everything received.
    func echo(_ bytes: [UInt8], piece: Int = 16 * 1024) -> [UInt8] {
        var received: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 64 * 1024)
        var at = 0
        while at < bytes.count {
            let n = bytes[at..<min(bytes.count, at + piece)].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return received }
            at += n
            while true {
                let r = recv(fd, &buf, buf.count, Int32(MSG_DONTWAIT))
                if r <= 0 { break }
                received += buf[..<r]
            }
        }
        shutdown(fd, Int32(SHUT_WR))
        return received + readToEnd()
    }

    /// Reads exactly `count` bytes, or fewer if the peer ends or a read times out.
    func read(count: Int) -> [UInt8] {
        var received: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: count)
        while received.count < count {
            let r = recv(fd, &buf, count - received.count, 0)
            if r <= 0 { break }
            received += buf[..<r]
        }
        return received
    }

    /// Reads until the peer ends the connection or a read times out.
    func readToEnd() -> [UInt8] {
        var received: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let r = recv(fd, &buf, buf.count, 0)
            if r <= 0 { return received }
            received += buf[..<r]
        }
    }
}

/// Waits up to `seconds` for something to accept connections on 127.0.0.1:`port`.
func waitForListener(port: Int, seconds: Double = 10) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if BlockingClient(from: "127.0.0.1", to: port) != nil { return true }
        usleep(20_000)
    }
    return false
}

/// A fresh temporary directory.
func temporaryDirectory(_ prefix: String) throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
}

/// The first executable of `candidates`.
func installed(_ candidates: [String]) -> String? {
    candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
}
