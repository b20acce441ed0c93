extension Socket {
    /// Writes a PROXY protocol header describing `client` (its remote end as the source, its
    /// local end as the destination) as this socket's first bytes: for a relay that connects
    /// onward for `client` to a server that reads PROXY protocol. Call it right after
    /// `connect`; the header is queued like any write until the connection is up. A client
    /// without IP addresses (a Unix socket) gives a header without addresses (v2 `LOCAL`,
    /// v1 `UNKNOWN`). Returns what `write` returns.
    @discardableResult
    public func writeProxyHeader(_ version: ProxyHeader.Version, describing client: Socket) -> Bool {
        var source: ProxyEndpoint?, destination: ProxyEndpoint?
        if let r = client.remoteAddress.flatMap(IPAddress.init), let rp = client.remotePort,
           let l = client.localAddress.flatMap(IPAddress.init), let lp = client.localPort {
            source = ProxyEndpoint(address: r, port: rp)
            destination = ProxyEndpoint(address: l, port: lp)
        }
        return writeProxyHeader(ProxyHeader(version: version, source: source, destination: destination))
    }

    /// Writes `header` as this socket's first bytes (see `writeProxyHeader(_:describing:)`).
    @discardableResult
    public func writeProxyHeader(_ header: ProxyHeader) -> Bool {
        write(Buffer(header.encoded()))
    }
}
