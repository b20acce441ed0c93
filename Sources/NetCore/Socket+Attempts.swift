internal import CUV
#if canImport(Glibc)
import Glibc
#endif

/// The pieces a `ConnectStrategy` (happy eyeballs) builds a connect from: resolving with the
/// socket's options, single attempts on handles of their own, and the two ways a connect ends.
extension Socket {
    /// Resolves `host` as the connect options say: through `options.lookup` when given (its
    /// answers checked as Node checks them), else the system resolver with Node's hints.
    package func resolve(
        host: String, options: SocketConnectOptions, all: Bool,
        _ done: @escaping (Result<[LookupAddress], NetError>) -> Void
    ) {
        var hints = options.hints
        if options.family != 4 && options.family != 6 && hints == 0 { hints = Lookup.addrConfig }
        guard let lookup = options.lookup else {
            Lookup.resolve(loop: loop, host: host, family: options.family, hints: hints) { result in
                done(result.map { all ? $0 : Array($0.prefix(1)) })
            }
            return
        }
        let port = options.port
        lookup(host, LookupOptions(family: options.family, hints: hints, all: all)) { error, answers in
            if let error { return done(.failure(error)) }
            guard let first = answers.first else {
                return done(.failure(NetError(code: .ERR_INVALID_IP_ADDRESS, message: "Invalid IP address: undefined", name: "TypeError")))
            }
            if !all { return done(Socket.check(first, host: host, port: port).map { [$0] }) }
            done(.success(answers))
        }
    }

    /// Node's checks of one lookup answer: an IP literal of family 4 or 6.
    package static func check(_ answer: LookupAddress, host: String, port: Int) -> Result<LookupAddress, NetError> {
        if InetAddress.family(of: answer.address) == 0 {
            return .failure(NetError(code: .ERR_INVALID_IP_ADDRESS, message: "Invalid IP address: \(answer.address)", name: "TypeError"))
        }
        if answer.family != 4 && answer.family != 6 {
            var e = NetError(code: .ERR_INVALID_ADDRESS_FAMILY, message: "Invalid address family: \(answer.family) \(host):\(port)", name: "RangeError")
            e.hostname = host
            e.port = port
            return .failure(e)
        }
        return .success(answer)
    }

    /// Whether the socket still waits for its connect to end (not destroyed meanwhile).
    package var connectPending: Bool { connecting && !destroyed }

    /// Starts one TCP connect to `ip:port` on a handle of its own, not yet the socket's; `done`
    /// gets the attempt and 0 or a uv error, unless the attempt was cancelled first.
    package func startAttempt(ip: String, port: Int, localPort: Int?, done: @escaping (ConnectAttempt, Int32) -> Void) -> ConnectAttempt {
        let family = InetAddress.family(of: ip)
        let attempt = ConnectAttempt(address: ip, port: port, family: family)
        let (h, r) = StreamHandle.tcp(loop: loop, family: family == 6 ? AF_INET6 : AF_INET)
        guard let h else {
            loop.nextTick { done(attempt, r) }
            return attempt
        }
        attempt.handle = h
        if let lp = localPort {
            let b = h.bind(ip: family == 6 ? "::" : "0.0.0.0", port: lp)
            if b < 0 {
                loop.nextTick { if !attempt.cancelled { done(attempt, b) } }
                return attempt
            }
        }
        let c = h.connect(ip: ip, port: port) { status in
            if !attempt.cancelled { done(attempt, status) }
        }
        if c < 0 { loop.nextTick { if !attempt.cancelled { done(attempt, c) } } }
        return attempt
    }

    /// Makes a connected attempt the socket's connection: `'connect'`, `'ready'`, reading, and
    /// the writes queued meanwhile follow as for any connect.
    package func adoptAttempt(_ attempt: ConnectAttempt) {
        guard let h = attempt.handle else { return }
        attempt.handle = nil
        adopt(h)
        finishConnect(h, status: 0) { NetError(code: "ERR_INTERNAL", message: "unreachable") }
    }

    /// Ends the connect with `error`: `'error'`, then `'close'`.
    package func failConnect(_ error: NetError) {
        guard !destroyed else { return }
        connecting = false
        destroy(error)
    }

    /// Refuses `ip` if the connect options' `blockList` blocks it; true when it did.
    func refusedByBlockList(_ ip: String, options: SocketConnectOptions) -> Bool {
        guard let filter = options.blockList, filter.blocks(address: ip, family: InetAddress.family(of: ip)) else {
            return false
        }
        failConnect(.ipBlocked(ip))
        return true
    }

    /// The `ip:port` of every address happy eyeballs tried, in order (Node's
    /// `autoSelectFamilyAttemptedAddresses`); `nil` when it was not used.
    public var autoSelectFamilyAttemptedAddresses: [String]? {
        get { attemptedAddresses }
        set { attemptedAddresses = newValue }
    }
}

/// One connect attempt a strategy started: its address, and its handle until it wins or is
/// abandoned.
package final class ConnectAttempt {
    /// The IP address tried.
    package let address: String
    /// The port tried.
    package let port: Int
    /// 4 or 6.
    package let family: Int
    var handle: StreamHandle?
    private(set) var cancelled = false

    init(address: String, port: Int, family: Int) {
        self.address = address
        self.port = port
        self.family = family
    }

    /// Abandons the attempt: its handle is closed and its completion never reported (a late
    /// success is closed unseen).
    package func cancel() {
        cancelled = true
        handle?.close()
        handle = nil
    }

    /// Node's error for this attempt failing with a uv status.
    package func error(_ status: Int32) -> NetError {
        .withHostPort(status, syscall: "connect", address: address, port: port)
    }
}

/// The payload of `'connectionAttempt'` and `'connectionAttemptTimeout'`: the address tried.
public struct ConnectionAttemptEvent: Sendable {
    /// The IP address.
    public var address: String
    /// The port.
    public var port: Int
    /// 4 or 6.
    public var family: Int
    /// Creates the payload.
    public init(address: String, port: Int, family: Int) {
        self.address = address
        self.port = port
        self.family = family
    }
}

/// The payload of `'connectionAttemptFailed'`: the address tried and why it failed.
public struct ConnectionAttemptFailedEvent: Sendable {
    /// The IP address.
    public var address: String
    /// The port.
    public var port: Int
    /// 4 or 6.
    public var family: Int
    /// The attempt's error.
    public var error: NetError
    /// Creates the payload.
    public init(address: String, port: Int, family: Int, error: NetError) {
        self.address = address
        self.port = port
        self.family = family
        self.error = error
    }
}

extension Event where Source == Socket, Payload == ConnectionAttemptEvent {
    /// Happy eyeballs starts trying an address (Node's `'connectionAttempt'`).
    public static var connectionAttempt: Self { .init("connectionAttempt") }
    /// An attempt ran out of time and the next address is tried (Node's `'connectionAttemptTimeout'`).
    public static var connectionAttemptTimeout: Self { .init("connectionAttemptTimeout") }
}

extension Event where Source == Socket, Payload == ConnectionAttemptFailedEvent {
    /// An attempt failed (Node's `'connectionAttemptFailed'`).
    public static var connectionAttemptFailed: Self { .init("connectionAttemptFailed") }
}
