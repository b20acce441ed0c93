import Net

/// `net-echo --proxy-to HOST:PORT`: a TCP proxy as a Node programmer writes one. Each client gets
/// its own upstream connection and bytes flow both ways through `pipe`. Both sides are half-open,
/// so an end travels through as the client sent it (`pipe` ends the other side once everything
/// before it is written); an error on either side destroys both, and so does a close that left
/// the other side unended.
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
            var options = SocketConnectOptions(port: port, host: host)
            options.allowHalfOpen = true
            upstream = try Net.connect(options, loop: client.loop)
        } catch {
            client.destroy()
            return
        }
        client.pipe(upstream)
        upstream.pipe(client)
        client.on(.error) { _ in upstream.destroy() }
        upstream.on(.error) { _ in client.destroy() }
        client.on(.close) { _ in if !upstream.writableEnded { upstream.destroy() } }
        upstream.on(.close) { _ in if !client.writableEnded { client.destroy() } }
    }
}
