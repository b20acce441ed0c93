import Net

/// `net-echo --proxy-to HOST:PORT`: a TCP proxy as a Node programmer writes one. Each client gets
/// its own upstream connection, bytes flow both ways through `pipe` (an end on one side ends the
/// other), and an error or close on either side destroys both.
struct ProxyTarget: Sendable {
    let host: String
    let port: Int

    /// Parses `HOST:PORT` (`[v6]:PORT` too); nil when it is not that.
    init?(_ text: String) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
              (1...65535).contains(port) else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { return nil }
        self.host = host
        self.port = port
    }

    /// The connection listener.
    func serve(_ client: Socket) {
        let upstream: Socket
        do {
            upstream = try Net.connect(port: port, host: host, loop: client.loop)
        } catch {
            client.destroy()
            return
        }
        client.pipe(upstream)
        upstream.pipe(client)
        client.on(.error) { _ in upstream.destroy() }
        upstream.on(.error) { _ in client.destroy() }
        client.on(.close) { _ in upstream.destroy() }
        upstream.on(.close) { _ in client.destroy() }
    }
}
