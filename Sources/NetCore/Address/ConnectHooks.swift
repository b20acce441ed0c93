#if canImport(Glibc)
import Glibc
#endif

/// Decides whether an IP address may be connected to or accepted from. NetExtras' `BlockList`
/// is one; `ServerOptions.blockList` and `SocketConnectOptions.blockList` take any.
///
/// The filter gets the parsed address: on connect, the value the target's text was parsed into
/// once; on accept, the peer's address read from its socket address, never through text.
public protocol AddressFilter: AnyObject, Sendable {
    /// Whether `address` is refused.
    func blocks(_ address: IPAddress) -> Bool
}

/// What a custom `lookup` is asked for (Node's `dns.lookup` options).
public struct LookupOptions: Sendable {
    /// 0 (any), 4 or 6.
    public var family: Int
    /// `getaddrinfo` hint flags.
    public var hints: Int32
    /// Whether every address is wanted, or only the first.
    public var all: Bool
}

/// A host name resolver with Node's `lookup` contract: call `callback` once with an error, or
/// with the addresses (one, unless `options.all`).
public typealias LookupFunction = (
    _ hostname: String, _ options: LookupOptions, _ callback: @escaping (NetError?, [LookupAddress]) -> Void
) -> Void

/// How a socket gets from a host name to a connection when several addresses may answer;
/// NetExtras provides happy eyeballs (Node's `autoSelectFamily`). Installed once for the process
/// with `ConnectDefaults.install`; without one, sockets connect to the first address.
package protocol ConnectStrategy: Sendable {
    /// Whether this strategy takes over the connect described by `options` (false leaves it to
    /// the plain first-address connect).
    func handles(_ options: SocketConnectOptions) -> Bool
    /// Connects `socket` to `host` (not an IP literal) and `options.port`, through the socket's
    /// attempt primitives; must end in `socket.adoptAttempt(_:)` or `socket.failConnect(_:)`.
    func connect(_ socket: Socket, host: String, options: SocketConnectOptions)
}

/// The process-wide connect defaults, guarded by a pthread mutex (read on every connect, from
/// any loop's thread; written rarely).
package final class ConnectDefaults: @unchecked Sendable {
    // @unchecked Sendable: `_strategy` is only read and written while holding `mutex`. The mutex
    // lives in its own allocation, so its address never moves while threads use it.
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var _strategy: (any ConnectStrategy)?

    private init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deinitialize(count: 1)
        mutex.deallocate()
    }

    /// The one instance.
    package static let shared = ConnectDefaults()

    /// The installed strategy, if any.
    package var strategy: (any ConnectStrategy)? {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return _strategy
    }

    /// Installs `strategy` for every later connect.
    package func install(_ strategy: any ConnectStrategy) {
        pthread_mutex_lock(mutex)
        _strategy = strategy
        pthread_mutex_unlock(mutex)
    }
}

/// `ERR_IP_BLOCKED`: `IP(1.2.3.4) is blocked by net.BlockList`.
extension NetError {
    /// The error for an address a `blockList` refuses.
    public static func ipBlocked(_ address: String) -> NetError {
        NetError(code: .ERR_IP_BLOCKED, message: "IP(\(address)) is blocked by net.BlockList")
    }
}
