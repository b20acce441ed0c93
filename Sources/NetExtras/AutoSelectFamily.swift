import NetCore

/// Node's `autoSelectFamily` as NetCore's connect strategy, with the process-wide defaults
/// behind `net.getDefaultAutoSelectFamily()` and `net.getDefaultAutoSelectFamilyAttemptTimeout()`.
///
/// It takes over a connect to a host name when no family (0) and no `localAddress` is given and
/// `autoSelectFamily` is on (the option, else the process default); other connects stay with
/// NetCore's first-address lookup. The `Net` module supplies the shared instance (its
/// `NodeDefaults`, which NetCore finds by itself whenever `Net` is linked).
package final class AutoSelectFamily: ConnectStrategy, @unchecked Sendable {
    // @unchecked Sendable: the two defaults are read under `lock`'s read lock and written under
    // its write lock; nothing else is mutable.
    private let lock = ReadWriteLock()
    private var enabled = true
    private var attemptTimeout = 250

    /// The instance `Net` supplies.
    package static let shared = AutoSelectFamily()

    /// A strategy with Node's defaults: on, 250 ms per attempt.
    package init() {}

    /// Whether happy eyeballs is used when a connect does not say (Node's
    /// `getDefaultAutoSelectFamily()`; initially true).
    package var defaultEnabled: Bool {
        get { lock.withReadLock { enabled } }
        set { lock.withWriteLock { enabled = newValue } }
    }

    /// The attempt timeout in milliseconds used when a connect does not say (Node's
    /// `getDefaultAutoSelectFamilyAttemptTimeout()`; initially 250).
    package var defaultAttemptTimeout: Int {
        lock.withReadLock { attemptTimeout }
    }

    /// Sets the default attempt timeout (Node's `setDefaultAutoSelectFamilyAttemptTimeout`);
    /// values under 10 become 10. Throws `ERR_OUT_OF_RANGE` outside 1…2147483647.
    package func setDefaultAttemptTimeout(_ value: Int) throws(NetError) {
        guard (1...Int(Int32.max)).contains(value) else {
            throw .outOfRange("value", range: ">= 1 && <= 2147483647", integer: value)
        }
        lock.withWriteLock { attemptTimeout = max(10, value) }
    }

    /// True for a connect to a host name with family 0, no `localAddress`, and
    /// `autoSelectFamily` on (the option, else the default).
    package func handles(_ options: SocketConnectOptions) -> Bool {
        options.family != 4 && options.family != 6 && options.localAddress == nil
            && (options.autoSelectFamily ?? defaultEnabled)
    }

    /// Looks up every address of `host` and connects with happy eyeballs.
    package func connect(_ socket: Socket, host: String, options: SocketConnectOptions) {
        let timeout = options.autoSelectFamilyAttemptTimeout.map { max(10, $0) } ?? defaultAttemptTimeout
        HappyEyeballsDriver.connect(socket, host: host, options: options, attemptTimeout: timeout)
    }
}
