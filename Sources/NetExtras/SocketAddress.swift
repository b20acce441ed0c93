import NetCore

/// An IP address with a port and, for IPv6, a flow label (Node's `net.SocketAddress`).
///
/// The address is validated and normalised on creation: `address` reads as Node prints it
/// (`FE80::0001` becomes `fe80::1`, `::ffff:c000:201` becomes `::ffff:192.0.2.1`, a zone id is
/// dropped). Two values are equal when all four properties are.
///
/// ```swift
/// let a = try SocketAddress(address: "192.0.2.1", port: 443)
/// let b = try SocketAddress(address: "::1", family: .ipv6)
/// let c = SocketAddress.parse("[::1]:8080")
/// ```
///
/// Codable as Node's `toJSON()` shape: `{"address":…,"port":…,"family":"ipv4"|"ipv6","flowlabel":…}`.
public struct SocketAddress: Hashable, Sendable, CustomStringConvertible {
    /// An address family, spelled as Node spells it (`"ipv4"`, `"ipv6"`).
    public enum Family: String, Hashable, Sendable, Codable, CaseIterable, CustomStringConvertible {
        /// IPv4 (`"ipv4"`).
        case ipv4
        /// IPv6 (`"ipv6"`).
        case ipv6

        /// The family named by `name`, ignoring case as Node does (`"IPv6"` is `.ipv6`).
        ///
        /// - Throws: `ERR_INVALID_ARG_VALUE` (`The property 'options.family' is invalid.
        ///   Received 'x'`) for any other name.
        public init(validating name: String) throws(NetError) {
            switch name.lowercased() {
            case "ipv4": self = .ipv4
            case "ipv6": self = .ipv6
            default: throw NetError.invalidArgValue("options.family", "'\(name)'")
            }
        }

        /// Node's string for the family: `"ipv4"` or `"ipv6"`.
        public var description: String { rawValue }

        /// The family as Node writes it in `BlockList` rules: `IPv4` or `IPv6`.
        var ruleName: String { self == .ipv4 ? "IPv4" : "IPv6" }
    }

    /// The address as Node prints it (`127.0.0.1`, `::1`, `::ffff:192.0.2.1`).
    public let address: String
    /// The address family.
    public let family: Family
    /// The port, 0…65535.
    public let port: Int
    /// The IPv6 flow label, 0…1048575; always 0 for IPv4.
    public let flowlabel: Int
    /// The parsed address (never with a zone id), for allocation-free matching.
    let ip: IPAddress

    /// Whether `value` is a `SocketAddress` (Node's `SocketAddress.isSocketAddress(value)`).
    public static func isSocketAddress(_ value: Any) -> Bool {
        value is SocketAddress
    }

    /// Creates a socket address, validating each part (Node's `new SocketAddress(options)`).
    ///
    /// - Parameters:
    ///   - address: The IP address text. Defaults to `127.0.0.1` for IPv4 and `::` for IPv6.
    ///     IPv4 must be a plain dotted quad; IPv6 may carry a zone id (`%eth0`), which is ignored.
    ///     As in Node, the text ends at its first NUL character, and with a zone id only the first
    ///     39 characters before the `%` are read.
    ///   - family: `.ipv4` (the default) or `.ipv6`; the address must be of this family.
    ///   - port: 0…65535, default 0.
    ///   - flowlabel: 0…4294967295, default 0. IPv4 ignores it; IPv6 keeps it and accepts at most
    ///     1048575 (20 bits) — Node aborts the process on a larger one, this throws instead.
    /// - Throws: `NetError` with Node's code and message, checked in Node's order:
    ///   `ERR_SOCKET_BAD_PORT` (`options.port should be >= 0 and < 65536. …`),
    ///   `ERR_OUT_OF_RANGE` for a flow label outside 0…4294967295, `ERR_INVALID_ADDRESS`
    ///   (`Invalid socket address`) when `address` is not an address of `family`, then
    ///   `ERR_OUT_OF_RANGE` for an IPv6 flow label above 1048575.
    public init(address: String? = nil, family: Family = .ipv4, port: Int = 0, flowlabel: Int = 0)
        throws(NetError)
    {
        guard (0...65535).contains(port) else { throw NetError.badPort(port, name: "options.port") }
        guard (0...Int(UInt32.max)).contains(flowlabel) else {
            throw NetError.outOfRange("options.flowlabel", range: ">= 0 && <= 4294967295", integer: flowlabel)
        }
        let text = address ?? (family == .ipv4 ? "127.0.0.1" : "::")
        guard let ip = IPAddress(bindingText: text, ipv6: family == .ipv6) else {
            throw NetError.invalidAddress()
        }
        if family == .ipv6 && flowlabel > 0xFFFFF {
            throw NetError.outOfRange("options.flowlabel", range: ">= 0 && <= 1048575", integer: flowlabel)
        }
        self.init(ip: ip, port: port, flowlabel: family == .ipv6 ? flowlabel : 0)
    }

    /// A socket address from an already-validated value; a zone id is dropped, as Node does.
    init(ip: IPAddress, port: Int, flowlabel: Int = 0) {
        self.ip = ip.withoutZone
        self.family = ip.isIPv6 ? .ipv6 : .ipv4
        self.address = self.ip.description
        self.port = port
        self.flowlabel = flowlabel
    }

    /// Node's `util.inspect` text:
    /// `SocketAddress { address: '127.0.0.1', port: 0, family: 'ipv4', flowlabel: 0 }`.
    public var description: String {
        "SocketAddress { address: '\(address)', port: \(port), family: '\(family.rawValue)', flowlabel: \(flowlabel) }"
    }
}

extension SocketAddress: Codable {
    private enum CodingKeys: String, CodingKey {
        case address, port, family, flowlabel
    }

    /// Decodes Node's `toJSON()` shape; missing keys take the initializer's defaults and the
    /// values are validated as ``init(address:family:port:flowlabel:)`` does (an invalid one is a
    /// `DecodingError.dataCorrupted` whose underlying error is the `NetError`).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let familyName = try c.decodeIfPresent(String.self, forKey: .family) ?? "ipv4"
        do {
            let family = try Family(validating: familyName)
            try self.init(
                address: c.decodeIfPresent(String.self, forKey: .address),
                family: family,
                port: c.decodeIfPresent(Int.self, forKey: .port) ?? 0,
                flowlabel: c.decodeIfPresent(Int.self, forKey: .flowlabel) ?? 0)
        } catch let error as NetError {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: error.description, underlyingError: error))
        }
    }

    /// Encodes Node's `toJSON()` shape: `address`, `port`, `family` and `flowlabel`.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(address, forKey: .address)
        try c.encode(port, forKey: .port)
        try c.encode(family, forKey: .family)
        try c.encode(flowlabel, forKey: .flowlabel)
    }
}
