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
/// NetExtras provides happy eyeballs (Node's `autoSelectFamily`). The `Net` module supplies it
/// through a `ConnectStrategyProvider` that `ConnectDefaults` finds by itself; without one (a
/// program of NetCore alone), sockets connect to the first address.
package protocol ConnectStrategy: Sendable {
    /// Whether this strategy takes over the connect described by `options` (false leaves it to
    /// the plain first-address connect).
    func handles(_ options: SocketConnectOptions) -> Bool
    /// Connects `socket` to `host` (not an IP literal) and `options.port`, through the socket's
    /// attempt primitives; must end in `socket.adoptAttempt(_:)` or `socket.failConnect(_:)`.
    func connect(_ socket: Socket, host: String, options: SocketConnectOptions)
}

/// A type of a module above NetCore that supplies the process's connect strategy: the `Net`
/// umbrella's `NodeDefaults` (Node's `autoSelectFamily`), found by `ConnectDefaults`.
package protocol ConnectStrategyProvider {
    /// The strategy every connect uses unless one was installed.
    static var connectStrategy: any ConnectStrategy { get }
}

/// The process-wide connect defaults, guarded by a pthread mutex (read on every connect, from
/// any loop's thread; written rarely).
///
/// Where the default strategy comes from: NetCore may not import the modules above it, and a
/// default installed by a call into `Net` would hold only after such a call, so a connect's
/// behaviour would hang on what ran before it. Instead NetCore asks the Swift runtime, on the
/// first connect that needs it, for the type `Net.NodeDefaults` by its mangled name. The
/// runtime finds a type through the type records of every image loaded in the process, which
/// are there whenever the `Net` module is part of the program, whether or not any of its
/// functions ran. So a program that links `Net` gets Node's happy eyeballs on every connect, and
/// a program of NetCore alone finds nothing and keeps the first-address connect. The answer is
/// computed once (a `static let`, initialized thread-safely by the runtime).
package final class ConnectDefaults: @unchecked Sendable {
    // @unchecked Sendable: `_strategy` is only read and written while holding `mutex` (a
    // `PthreadMutex`, at a fixed address).
    private let mutex = PthreadMutex()
    private var _strategy: (any ConnectStrategy)?

    private init() {}

    /// The one instance.
    package static let shared = ConnectDefaults()

    /// The mangled name of `Net.NodeDefaults` (module `Net`, enum `NodeDefaults`).
    package static let providerTypeName = "3Net12NodeDefaultsO"

    /// The strategy of the `Net` module when it is part of the program.
    private static let linked: (any ConnectStrategy)? = {
        (_typeByName(providerTypeName) as? any ConnectStrategyProvider.Type)?.connectStrategy
    }()

    /// The strategy every connect consults: the installed one, else the one the `Net` module
    /// supplies when it is linked, else none.
    package var strategy: (any ConnectStrategy)? {
        mutex.withLock { _strategy } ?? Self.linked
    }

    /// Installs `strategy` for every later connect, in place of the linked default.
    package func install(_ strategy: any ConnectStrategy) {
        mutex.withLock { _strategy = strategy }
    }
}

/// `ERR_IP_BLOCKED`: `IP(1.2.3.4) is blocked by net.BlockList`.
extension NetError {
    /// The error for an address a `blockList` refuses.
    public static func ipBlocked(_ address: String) -> NetError {
        NetError(code: .ERR_IP_BLOCKED, message: "IP(\(address)) is blocked by net.BlockList")
    }
}
