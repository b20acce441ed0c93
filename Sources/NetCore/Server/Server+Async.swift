/// Awaiting a server.
extension Server {
    /// Closes the server and waits until it has closed, every connection included (Node's
    /// `server[Symbol.asyncDispose]()`); returns at once when it is not listening.
    public func close() async {
        guard handle != nil || lookupInFlight else { return }
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            close { _ in c.resume() }
        }
    }
}
