/// An IP endpoint as Node reports it: the address text, `"IPv4"` or `"IPv6"`, and the port
/// (Node's `{ address, family, port }` from `socket.address()`).
public struct AddressInfo: Sendable, Hashable, CustomStringConvertible {
    /// The IP address text (`127.0.0.1`, `::1`).
    public var address: String
    /// `"IPv4"` or `"IPv6"`.
    public var family: String
    /// The port number.
    public var port: Int

    /// Creates an address record.
    public init(address: String, family: String, port: Int) {
        self.address = address
        self.family = family
        self.port = port
    }

    /// `address:port`, with IPv6 addresses in brackets.
    public var description: String { family == "IPv6" ? "[\(address)]:\(port)" : "\(address):\(port)" }
}

extension AddressInfo {
    /// The record Node reports for an endpoint: the address as Node prints it (without a zone
    /// id, as libuv's `uv_ip6_name` writes it), its family name and the port.
    package init(_ address: IPAddress, port: Int) {
        self.init(address: address.withoutZone.description, family: address.isIPv6 ? "IPv6" : "IPv4", port: port)
    }
}
