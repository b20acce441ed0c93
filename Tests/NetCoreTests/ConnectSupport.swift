import Testing
import Foundation
import Net

/// A custom `lookup` (Node's contract) answering `answers` for any host, so no test asks a DNS
/// server. `async` answers on the next tick instead of at once; `seen` records each call's
/// host and options.
func fixedLookup(
    _ answers: [(String, Int)], loop: EventLoop? = nil, seen: Log? = nil
) -> LookupFunction {
    { host, options, callback in
        seen?("\(host) family=\(options.family) hints=\(options.hints) all=\(options.all)")
        let list = answers.map { LookupAddress(address: $0.0, family: $0.1) }
        if let loop { loop.nextTick { callback(nil, list) } } else { callback(nil, list) }
    }
}

/// A custom `lookup` failing the way `dns.lookup` does for a name that does not exist.
func notFoundLookup(seen: Log? = nil) -> LookupFunction {
    { host, _, callback in
        seen?("lookup \(host)")
        var e = NetError(code: .ENOTFOUND, message: "getaddrinfo ENOTFOUND \(host)")
        e.errno = -3008
        e.syscall = "getaddrinfo"
        e.hostname = host
        callback(e, [])
    }
}

/// Logs a socket's connect story with the port written as `P`: 'lookup', the attempt events,
/// 'connect', 'error' (an aggregate with its errors) and 'close'.
func recordConnect(_ s: Socket, port: Int, into log: Log) {
    func p(_ text: String) -> String { text.replacingOccurrences(of: ":\(port)", with: ":P") }
    s.on(.lookup) { e in log("lookup \(e.error.map { "\($0.code)" } ?? "-") \(e.address ?? "-") \(e.family.map(String.init) ?? "-")") }
    s.on(.connectionAttempt) { e in log(p("attempt \(e.address):\(e.port) \(e.family)")) }
    s.on(.connectionAttemptFailed) { e in log(p("failed \(e.address):\(e.port) \(e.family) \(e.error.code) \(e.error.message)")) }
    s.on(.connectionAttemptTimeout) { e in log(p("timeout \(e.address):\(e.port) \(e.family)")) }
    s.on(.connect) { log("connect") }
    s.on(.error) { e in
        let inner = e.errors.isEmpty ? "" : " [" + e.errors.map(\.message).joined(separator: ", ") + "]"
        log(p("error \(e.name) \(e.code) \(e.message)\(inner)"))
    }
    s.on(.close) { e in log("close \(e.hadError)") }
}

/// A listening TCP socket that never accepts: the kernel completes connects to it into its
/// queue. With `full`, the queue (of one) is filled at once, so a further connect neither
/// succeeds nor fails, like an unreachable address (its SYNs are dropped).
final class RawListener {
    private var listener: Int32 = -1
    private var filler: Int32 = -1
    /// The address it listens on.
    let host: String
    /// The port it listens on.
    private(set) var port = 0

    /// Listens on `host` (an IPv4 literal) and `port` (0: any).
    init?(host: String, port: Int = 0, full: Bool) {
        self.host = host
        listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard listener >= 0 else { return nil }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr(host)
        addr.sin_port = UInt16(port).bigEndian
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, len) } }
        guard bound == 0, listen(listener, full ? 0 : 64) == 0 else { close(); return nil }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &len) } }
        self.port = Int(UInt16(bigEndian: addr.sin_port))
        guard full else { return }
        filler = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        let connected = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(filler, $0, len) } }
        guard connected == 0 else { close(); return nil }
    }

    /// Closes the listener and the filler.
    func close() {
        if filler >= 0 { _ = Glibc.close(filler); filler = -1 }
        if listener >= 0 { _ = Glibc.close(listener); listener = -1 }
    }

    deinit { close() }
}
