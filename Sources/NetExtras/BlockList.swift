import NetCore

/// A set of rules for blocking IP addresses: single addresses, inclusive ranges and subnets
/// (Node's `net.BlockList`).
///
/// ```swift
/// let blockList = BlockList()
/// try blockList.addAddress("123.123.123.123")
/// try blockList.addRange("10.0.0.1", "10.0.0.10")
/// try blockList.addSubnet("8592:757c:efae:4e45::", prefix: 64, family: .ipv6)
/// blockList.check("10.0.0.3")                        // true
/// blockList.check("::ffff:7b7b:7b7b", family: .ipv6) // true: IPv4-mapped 123.123.123.123
/// ```
///
/// An IPv4 address and its IPv4-mapped IPv6 form (`::ffff:a.b.c.d`) are the same address for
/// every kind of rule, in both directions; any other IPv6 address never matches an IPv4 rule.
/// Ranges compare addresses as unsigned big-endian numbers. Rules are kept in the order they were
/// added (duplicates included, as in Node 23) and ``rules`` lists the newest first.
///
/// A block list may be shared by any number of threads and event loops: every method takes a
/// `pthread_rwlock_t` (shared for ``check(_:family:)`` and ``rules``, exclusive for the `add`
/// methods), and ``check(_:family:)`` allocates nothing.
public final class BlockList: @unchecked Sendable, CustomStringConvertible {
    // @unchecked Sendable: `storage` is only read under `lock`'s read lock and only written under
    // its write lock; nothing else is mutable.
    private let lock = ReadWriteLock()
    /// Rules, oldest first (matching walks them newest first, as Node does).
    private var storage: [BlockListRule] = []

    /// Creates an empty block list.
    public init() {}

    /// Whether `value` is a `BlockList` (Node's `BlockList.isBlockList(value)`, added in 23.4).
    public static func isBlockList(_ value: Any) -> Bool {
        value is BlockList
    }

    // MARK: - Adding rules

    /// Blocks one address (Node's `blockList.addAddress(address, family)`).
    ///
    /// - Parameters:
    ///   - address: IP address text of `family`; IPv6 may carry a zone id, which is ignored.
    ///   - family: The family of `address`, `.ipv4` by default.
    /// - Throws: `ERR_INVALID_ADDRESS` (`Invalid socket address`) when `address` is not an
    ///   address of `family`.
    public func addAddress(_ address: String, family: SocketAddress.Family = .ipv4) throws(NetError) {
        add(.address(try Self.parse(address, family)))
    }

    /// Blocks the address of `address` (its port and flow label play no part).
    public func addAddress(_ address: SocketAddress) {
        add(.address(address.ip))
    }

    /// Blocks every address from `start` to `end` inclusive (Node's
    /// `blockList.addRange(start, end, family)`).
    ///
    /// - Throws: `ERR_INVALID_ADDRESS` when `start` or `end` (parsed in that order) is not an
    ///   address of `family`; `ERR_INVALID_ARG_VALUE` (`The argument 'start' must come before
    ///   end. Received SocketAddress { … }`) when `start` is greater than `end`.
    public func addRange(_ start: String, _ end: String, family: SocketAddress.Family = .ipv4) throws(NetError) {
        let s = try Self.parse(start, family)
        let e = try Self.parse(end, family)
        try addRange(s, e)
    }

    /// Blocks every address from `start` to `end` inclusive; the two may differ in family (an
    /// IPv4 address and an IPv4-mapped IPv6 address compare by their IPv4 value; an IPv4 address
    /// and any other IPv6 address do not compare, and a range between them matches nothing).
    ///
    /// - Throws: `ERR_INVALID_ARG_VALUE` (`The argument 'start' must come before end. …`) when
    ///   `start` is greater than `end`.
    public func addRange(_ start: SocketAddress, _ end: SocketAddress) throws(NetError) {
        try addRange(start.ip, end.ip)
    }

    /// Blocks every address whose first `prefix` bits equal those of `network` (Node's
    /// `blockList.addSubnet(net, prefix, family)`).
    ///
    /// - Parameters:
    ///   - network: The network address text of `family`.
    ///   - prefix: The number of leading bits that must match: 0…32 for IPv4, 0…128 for IPv6.
    ///   - family: The family of `network`, `.ipv4` by default.
    /// - Throws: `ERR_INVALID_ADDRESS` when `network` is not an address of `family`, then
    ///   `ERR_OUT_OF_RANGE` (`The value of "prefix" is out of range. It must be >= 0 && <= 32.
    ///   Received 33`) when `prefix` is outside the family's range.
    public func addSubnet(_ network: String, prefix: Int, family: SocketAddress.Family = .ipv4) throws(NetError) {
        try addSubnet(Self.parse(network, family), prefix: prefix)
    }

    /// Blocks every address whose first `prefix` bits equal those of `network`'s address.
    ///
    /// - Throws: `ERR_OUT_OF_RANGE` when `prefix` is outside 0…32 (IPv4) or 0…128 (IPv6).
    public func addSubnet(_ network: SocketAddress, prefix: Int) throws(NetError) {
        try addSubnet(network.ip, prefix: prefix)
    }

    // MARK: - Checking

    /// Whether `address` is blocked by any rule (Node's `blockList.check(address, family)`).
    ///
    /// Text that is not an address of `family` is never blocked: this returns `false` rather
    /// than throwing. Allocation-free.
    public func check(_ address: String, family: SocketAddress.Family = .ipv4) -> Bool {
        guard let ip = IPAddress(bindingText: address, ipv6: family == .ipv6) else { return false }
        return check(ip)
    }

    /// Whether the address of `address` is blocked by any rule. Allocation-free.
    public func check(_ address: SocketAddress) -> Bool {
        check(address.ip)
    }

    /// Whether `address` is blocked by any rule; its zone id, if any, plays no part.
    /// Allocation-free.
    public func check(_ address: IPAddress) -> Bool {
        lock.withReadLock {
            // Newest first, by index: no iterator machinery that could allocate.
            var i = storage.count
            while i > 0 {
                i -= 1
                if storage[i].matches(address) { return true }
            }
            return false
        }
    }

    // MARK: - Inspecting

    /// The rules as Node writes them, newest first: `Address: IPv4 1.1.1.1`,
    /// `Range: IPv4 10.0.0.1-10.0.0.10`, `Subnet: IPv6 8592:757c:efae:4e45::/64`.
    public var rules: [String] {
        lock.withReadLock { storage.reversed().map(\.text) }
    }

    /// Node's `util.inspect` text: `BlockList { rules: [] }`, the rules on one line while the
    /// whole fits in Node's 80 columns, else one rule per line. (Node arranges long lists of
    /// short rules in columns and elides past 100 entries; this does neither.)
    public var description: String {
        let quoted = rules.map { "'\($0)'" }
        if quoted.isEmpty { return "BlockList { rules: [] }" }
        // Node's `reduceToSingleString` for the array (indented 2) and then the outer object.
        let arrayWidth = 3 * quoted.count + 13 + quoted.reduce(0) { $0 + $1.count }
        if arrayWidth <= 80 {
            let array = "[ \(quoted.joined(separator: ", ")) ]"
            if 13 + "rules: ".count + array.count <= 80 {
                return "BlockList { rules: \(array) }"
            }
            return "BlockList {\n  rules: \(array)\n}"
        }
        return "BlockList {\n  rules: [\n    \(quoted.joined(separator: ",\n    "))\n  ]\n}"
    }

    // MARK: - Internals

    private static func parse(_ text: String, _ family: SocketAddress.Family) throws(NetError) -> IPAddress {
        guard let ip = IPAddress(bindingText: text, ipv6: family == .ipv6) else {
            throw NetError.invalidAddress()
        }
        return ip
    }

    private func addRange(_ start: IPAddress, _ end: IPAddress) throws(NetError) {
        if start.compare(end) == .greater {
            let received = SocketAddress(ip: start, port: 0).description
            throw NetError.invalidArgValue("start", received, reason: "must come before end")
        }
        add(.range(start, end))
    }

    private func addSubnet(_ network: IPAddress, prefix: Int) throws(NetError) {
        let maximum = network.isIPv6 ? 128 : 32
        guard (0...maximum).contains(prefix) else {
            throw NetError.outOfRange("prefix", range: ">= 0 && <= \(maximum)", integer: prefix)
        }
        add(.subnet(network, prefix: prefix))
    }

    private func add(_ rule: BlockListRule) {
        lock.withWriteLock { storage.append(rule) }
    }
}

extension BlockList: AddressFilter {
    /// Whether the list blocks `address` (as `check(_:)` with an `IPAddress`), so a `BlockList` can be given as
    /// `ServerOptions.blockList` or `SocketConnectOptions.blockList`.
    public func blocks(_ address: IPAddress) -> Bool {
        check(address)
    }
}
