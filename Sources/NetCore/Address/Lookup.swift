/// One answer of a host lookup: an IP address and its family (4 or 6), as Node's `dns.lookup`
/// gives them.
public struct LookupAddress: Sendable, Hashable {
    /// The IP address text.
    public var address: String
    /// 4 or 6.
    public var family: Int

    /// Creates an answer.
    public init(address: String, family: Int) {
        self.address = address
        self.family = family
    }
}
