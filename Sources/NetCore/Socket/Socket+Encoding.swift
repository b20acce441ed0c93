/// Text: `setEncoding` and the `.text` event, Node's `'data'` with strings.
extension Socket {
    /// Decodes incoming bytes as `encoding` for `.text` listeners, never splitting a character
    /// across two events (Node's `setEncoding`). `.data` listeners keep receiving the raw bytes.
    /// `nil` goes back to UTF-8. Each call starts a fresh decoder, as Node's does, even with the
    /// encoding already set: the bytes of a character split across reads that it held are
    /// dropped. Returns the socket.
    @discardableResult
    public func setEncoding(_ encoding: BufferEncoding? = .utf8) -> Socket {
        decoder = StringDecoder(encoding ?? .utf8)
        return self
    }

    /// The encoding set with `setEncoding`, if any text is being decoded (Node's
    /// `readableEncoding`).
    public var readableEncoding: BufferEncoding? { decoder?.encoding }

    /// Decodes a chunk for the `.text` listeners (never splitting a character).
    func deliverText(_ chunk: Buffer) {
        guard var d = decoder else { return }
        let text = d.write(chunk)
        decoder = d
        if !text.isEmpty { _ = emitBorrowingTable(.text, text) }
    }
}

extension Event where Source == Socket, Payload == String {
    /// Node's `'data'` as text: each chunk decoded with the encoding from `setEncoding` (UTF-8
    /// by default), characters never split between events. Adding a listener starts the flow.
    public static var text: Self { .init("data") }
}
