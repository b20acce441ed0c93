/// One rule of a ``BlockList``: a single address, an inclusive range, or a subnet.
///
/// Rules hold `IPAddress` values without zone ids, so testing one against an address never allocates.

import NetCore
enum BlockListRule: Sendable, Equatable {
    case address(IPAddress)
    case range(IPAddress, IPAddress)
    case subnet(IPAddress, prefix: Int)

    /// Whether `ip` is blocked by this rule, with Node's cross-family semantics (an IPv4 value and
    /// its `::ffff:` form are the same address; other IPv6 values never match IPv4 rules).
    @inline(__always)
    func matches(_ ip: IPAddress) -> Bool {
        switch self {
        case .address(let a):
            return a.matches(ip)
        case .range(let start, let end):
            let lower = ip.compare(start)
            guard lower == .same || lower == .greater else { return false }
            let upper = ip.compare(end)
            return upper == .same || upper == .less
        case .subnet(let network, let prefix):
            return ip.isIn(network: network, prefix: prefix)
        }
    }

    /// Node's text for the rule: `Address: IPv4 1.1.1.1`, `Range: IPv4 10.0.0.1-10.0.0.10`,
    /// `Subnet: IPv6 8592:757c:efae:4e45::/64` (the family is that of the first address).
    var text: String {
        switch self {
        case .address(let a):
            return "Address: \(Self.familyName(a)) \(a)"
        case .range(let start, let end):
            return "Range: \(Self.familyName(start)) \(start)-\(end)"
        case .subnet(let network, let prefix):
            return "Subnet: \(Self.familyName(network)) \(network)/\(prefix)"
        }
    }

    private static func familyName(_ ip: IPAddress) -> String { ip.isIPv6 ? "IPv6" : "IPv4" }
}
