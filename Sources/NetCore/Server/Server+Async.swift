/// Awaiting a server, and the accept gate its async face (`AsyncServer`) paces accepting with.
extension Server {
    /// Closes the server and waits until it has closed, every connection included (Node's
    /// `server[Symbol.asyncDispose]()`); returns at once when it is not listening.
    public func close() async {
        guard handle != nil || lookupInFlight else { return }
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            close { _ in c.resume() }
        }
    }

    /// Stops accepting: a connection that arrives waits in libuv (which stops watching the
    /// listening socket), and the ones after it in the kernel's backlog.
    func holdAccepting() {
        acceptHeld = true
    }

    /// Accepts again, starting with the connection that waited, if any.
    func releaseAccepting() {
        acceptHeld = false
        if acceptDeferred, handle != nil {
            acceptDeferred = false
            onConnection(status: 0)
        }
    }
}
