/// The PROXY protocol layer of a server: between an accepted handle and its `Socket`, it reads
/// the header, then hands the handle, the header and the bytes after it to `Server.admit`.
/// Nothing here runs unless `ServerOptions.proxyProtocol` is set.
final class ProxyHeaderReader {
    let handle: StreamHandle
    let parser: ProxyHeaderParser
    /// The bytes received so far, once a read ended inside the header (empty while the header
    /// arrives in one read, the common case: that read is parsed where it lies).
    var pending: [UInt8] = []
    var timer: Timeout?

    init(handle: StreamHandle, parser: ProxyHeaderParser) {
        self.handle = handle
        self.parser = parser
    }
}

extension Server {
    /// Starts reading the header of a connection just accepted.
    func readProxyHeader(_ client: StreamHandle, _ proxy: ProxyProtocolOptions) {
        if let trusted = proxy.trustedProxies {
            guard let peer = client.peerAddress, trusted.blocks(peer.address) else {
                let from = client.peerName.map { "\($0)" } ?? "an unknown address"
                refuse(client, NetError(
                    code: .ERR_PROXY_PROTOCOL_UNTRUSTED,
                    message: "PROXY protocol connection from \(from), which is not a trusted proxy"))
                return
            }
        }
        let reader = ProxyHeaderReader(handle: client, parser: proxy.parser)
        let id = ObjectIdentifier(client)
        proxyReaders[id] = reader
        client.server = self
        let timeout = proxy.headerTimeout
        let timer = Timeout(loop: loop) { [unowned self] in
            guard proxyReaders[id] != nil else { return }
            failHeader(client, NetError(
                code: .ERR_PROXY_PROTOCOL_TIMEOUT,
                message: "PROXY protocol header not received within \(timeout) ms"))
        }
        timer.start(timeout: UInt64(Swift.max(1, timeout)))
        reader.timer = timer
        let r = client.prefaceReadStart()
        if r < 0 { failHeader(client, .errno(r, syscall: "read")) }
    }

    /// Bytes arrived on a connection whose header is being read.
    func prefaceReceived(_ client: StreamHandle, _ chunk: Buffer) {
        guard let reader = proxyReaders[ObjectIdentifier(client)] else { return }
        let before = reader.pending.count
        let outcome: ProxyHeaderParser.Outcome
        if before == 0 {
            outcome = chunk.withUnsafeBytes { reader.parser.parse($0) }
        } else {
            chunk.withUnsafeBytes { reader.pending.append(contentsOf: $0) }
            outcome = reader.pending.withUnsafeBytes { reader.parser.parse($0) }
        }
        switch outcome {
        case .needMore:
            if before == 0 { chunk.withUnsafeBytes { reader.pending.append(contentsOf: $0) } }
        case .failed(let reason):
            failHeader(client, .proxyInvalid(reason))
        case .header(let header, let length):
            // The header ends inside this chunk: what follows it is the connection's first data.
            // (The earlier bytes were not a whole header, so it ends past them.)
            let rest = chunk[Swift.min(chunk.count, Swift.max(0, length - before))..<chunk.count]
            endHeaderRead(client)
            admit(client, header: header, rest: rest)
        }
    }

    /// The connection ended or failed before its header was complete.
    func prefaceFailed(_ client: StreamHandle, status: Int32) {
        guard proxyReaders[ObjectIdentifier(client)] != nil else { return }
        if status == UV_EOF_CODE {
            failHeader(client, NetError(
                code: .ERR_PROXY_PROTOCOL_INCOMPLETE,
                message: "Connection ended before its PROXY protocol header was complete"))
        } else {
            failHeader(client, .errno(status, syscall: "read"))
        }
    }

    /// Stops the layer's reads and timer and forgets the connection.
    private func endHeaderRead(_ client: StreamHandle) {
        client.prefaceReadStop()
        client.server = nil
        if let reader = proxyReaders.removeValue(forKey: ObjectIdentifier(client)) {
            reader.timer?.close()
            reader.timer = nil
        }
    }

    private func failHeader(_ client: StreamHandle, _ error: NetError) {
        endHeaderRead(client)
        refuse(client, error)
        emitCloseIfDrained()
    }

    /// Closes a connection the layer refused and reports it as `'proxyProtocolError'`.
    private func refuse(_ client: StreamHandle, _ error: NetError) {
        let remote = client.peerName
        client.close()
        emit(.proxyProtocolError, ProxyProtocolFailure(
            error: error, remoteAddress: remote?.address, remotePort: remote?.port, remoteFamily: remote?.family))
    }
}
