internal import CUV
#if canImport(Glibc)
import Glibc
#endif

/// The pieces a `ConnectStrategy` (happy eyeballs) builds a connect from: resolving with the
/// socket's options, single attempts on handles of their own, and the two ways a connect ends.
extension Socket {
    /// Resolves `host` as the connect options say: through `options.lookup` when given, else
    /// the system resolver with Node's hints. The answers come unchecked (one, unless `all`):
    /// Node emits `'lookup'` for an answer before it checks it with `check(_:host:port:)`.
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
        lookup(host, LookupOptions(family: options.family, hints: hints, all: all)) { error, answers in
            if let error { return done(.failure(error)) }
            guard !answers.isEmpty else {
                return done(.failure(NetError(code: .ERR_INVALID_IP_ADDRESS, message: "Invalid IP address: undefined", name: "TypeError")))
            }
            done(.success(all ? answers : Array(answers.prefix(1))))
        }
    }

    /// Node's checks of one lookup answer: an IP literal of family 4 or 6; gives the parsed address.
    package static func check(_ answer: LookupAddress, host: String, port: Int) -> Result<IPAddress, NetError> {
        guard let address = IPAddress(answer.address) else {
            return .failure(NetError(code: .ERR_INVALID_IP_ADDRESS, message: "Invalid IP address: \(answer.address)", name: "TypeError"))
        }
        if answer.family != 4 && answer.family != 6 {
            var e = NetError(code: .ERR_INVALID_ADDRESS_FAMILY, message: "Invalid address family: \(answer.family) \(host):\(port)", name: "RangeError")
            e.hostname = host
            e.port = port
            return .failure(e)
        }
        return .success(address)
    }

    /// Whether the socket still waits for its connect to end (not destroyed meanwhile).
    package var connectPending: Bool { connecting && !destroyed }

    /// Called once if the socket is destroyed while its connect is pending, so a strategy can
    /// stop its attempts and timers; cleared when the connect ends either way.
    package var onConnectAbort: (() -> Void)? {
        get { connectAbort }
        set { connectAbort = newValue }
    }

    /// Connects to one resolved address as a plain connect does (Node's `internalConnect`):
    /// the socket's own handle, `'connectionAttempt'`, the `blockList` check, then `'connect'`
    /// or `'connectionAttemptFailed'`, `'error'` and `'close'`.
    package func connectResolved(ip: String, address: IPAddress, options: SocketConnectOptions) {
        refreshTimeout()
        startConnect(ip: ip, address: address, port: options.port, options: options)
    }

    /// A connect attempt to `ip:port` on a TCP handle of its own, not yet the socket's;
    /// `localPort`, when given, is bound on the family's any-address by `ConnectAttempt.bind()`.
    /// The attempt's handle is the socket's while the attempt runs, as in Node (whose socket
    /// reinitializes its own handle per attempt): `ref()`/`unref()` reach it.
    package func makeAttempt(ip: String, address: IPAddress, port: Int, localPort: Int?) -> ConnectAttempt {
        let attempt = ConnectAttempt(loop: loop, address: ip, ip: address, port: port, localPort: localPort)
        if !wantRef { attempt.handle?.unref() }
        attempt.owner = self
        coldState.attempts.append(attempt)
        return attempt
    }

    /// The lookup answered and the attempts start: the idle timer counts from now, as Node
    /// refreshes it before `internalConnectMultiple`.
    package func attemptsStarting() { refreshTimeout() }

    /// An attempt ended (won, cancelled): the socket no longer reaches its handle.
    func forget(_ attempt: ConnectAttempt) {
        cold?.attempts.removeAll { $0 === attempt }
    }

    /// Makes a connected attempt the socket's connection: `'connect'`, `'ready'`, reading, and
    /// the writes queued meanwhile follow as for any connect.
    package func adoptAttempt(_ attempt: ConnectAttempt) {
        guard let h = attempt.handle else { return }
        attempt.handle = nil
        forget(attempt)
        connectAbort = nil
        adopt(h)
        finishConnect(h, status: 0) { NetError(code: "ERR_INTERNAL", message: "unreachable") }
    }

    /// Ends the connect with `error`: `'error'`, then `'close'` with `hadError`.
    package func failConnect(_ error: NetError) {
        guard !destroyed else { return }
        connectAbort = nil
        destroy(error)
    }

    /// Refuses `ip` if the connect options' `blockList` blocks it; true when it did.
    func refusedByBlockList(_ ip: String, address: IPAddress, options: SocketConnectOptions) -> Bool {
        guard let filter = options.blockList, filter.blocks(address) else {
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

/// One connect attempt a strategy makes: its address, and its handle until it wins or is
/// abandoned. Setting up is split as Node does it: `bind()` (only with a local port), then
/// `connect(_:)`; each reports a failure at once, and the connect's outcome comes later.
package final class ConnectAttempt {
    /// The IP address tried.
    package let address: String
    /// The IP address tried, parsed.
    package let ip: IPAddress
    /// The port tried.
    package let port: Int
    /// 4 or 6.
    package let family: Int
    /// The local port bound before connecting, if any.
    package let localPort: Int?
    var handle: StreamHandle?
    /// The socket the attempt is made for, which reaches its handle while it runs.
    weak var owner: Socket?
    /// A failure creating the handle, reported by the first step that needs it (as Node, whose
    /// socket is created at bind or connect).
    private let setupStatus: Int32
    private(set) var cancelled = false

    init(loop: EventLoop, address: String, ip: IPAddress, port: Int, localPort: Int?) {
        self.address = address
        self.ip = ip
        self.port = port
        self.family = ip.family
        self.localPort = localPort
        let (h, r) = StreamHandle.tcp(loop: loop, family: family == 6 ? AF_INET6 : AF_INET)
        handle = h
        setupStatus = h == nil ? r : 0
    }

    /// The any-address a local port is bound on: `0.0.0.0` or `::`.
    package var localAddress: String { family == 6 ? "::" : "0.0.0.0" }

    /// Binds the local port, if one was given: nil, or Node's bind error
    /// (`bind EACCES 0.0.0.0:80`).
    package func bind() -> NetError? {
        guard let lp = localPort else { return nil }
        var r = setupStatus
        if r == 0, let h = handle { r = Socket.checkBind(h.bind(ip: localAddress, port: lp), port: lp, on: h) }
        return r < 0 ? .withHostPort(r, syscall: "bind", address: localAddress, port: lp) : nil
    }

    /// Starts the connect: nil, or the error when it failed at once. `done` later gets 0 or a
    /// uv error, unless the attempt was cancelled first.
    package func connect(_ done: @escaping (Int32) -> Void) -> NetError? {
        guard setupStatus == 0, let h = handle else { return error(setupStatus) }
        let r = h.connect(to: ip, port: port) { [self] status in
            if !cancelled { done(status) }
        }
        return r < 0 ? error(r) : nil
    }

    /// Abandons the attempt: its handle is closed and its completion never reported (a late
    /// success is closed unseen). Calling it again does nothing.
    package func cancel() {
        cancelled = true
        handle?.close()
        handle = nil
        owner?.forget(self)
    }

    /// Whether the attempt's handle counts for keeping the loop alive (`uv_has_ref`); nil
    /// without a handle.
    var handleIsRefed: Bool? {
        guard let h = handle, h.isOpen, !h.isClosing else { return nil }
        return uv_has_ref(h.handle) != 0
    }

    /// Node's error for this attempt failing with a uv status.
    package func error(_ status: Int32) -> NetError {
        .connectAttempt(status, address: address, port: port, localPort: localPort)
    }
}

extension NetError {
    /// Node's error for a connect attempt to `address:port` that failed with a uv status
    /// (`connect ECONNREFUSED ::1:80`), with ` - Local (0.0.0.0:5000)` when a local port was
    /// bound on the family's any-address.
    package static func connectAttempt(_ status: Int32, address: String, port: Int, localPort: Int?) -> NetError {
        let local = localPort.map { _ in IPAddress.family(of: address) == 6 ? "::" : "0.0.0.0" }
        return .withHostPort(status, syscall: "connect", address: address, port: port, localAddress: local, localPort: localPort)
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
