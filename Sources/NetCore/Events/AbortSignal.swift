/// Node's `AbortController`: makes an `AbortSignal` and aborts it.
///
/// Loop-confined like sockets: create, abort and listen on one loop's thread.
public final class AbortController {
    /// The signal this controller aborts.
    public let signal = AbortSignal()

    /// Creates a controller with a fresh signal.
    public init() {}

    /// Aborts the signal (once); its listeners run now, in order. `reason` defaults to Node's
    /// `AbortError` ("This operation was aborted").
    public func abort(reason: NetError? = nil) { signal.fire(reason ?? AbortSignal.abortError) }
}

/// Node's `AbortSignal`: tells whoever holds it that an operation should stop
/// (`server.listen({ signal })` closes the server when it fires; a socket made with
/// `SocketOptions.signal` is destroyed with an `AbortError`).
public final class AbortSignal {
    /// Whether the signal has fired.
    public private(set) var aborted = false
    /// Why it fired.
    public private(set) var reason: NetError?
    private var listeners: [(id: Int, run: (NetError) -> Void)] = []
    private var nextID = 0

    init() {}

    /// A signal that has already fired (Node's `AbortSignal.abort()`).
    public static func abort(reason: NetError? = nil) -> AbortSignal {
        let s = AbortSignal()
        s.fire(reason ?? abortError)
        return s
    }

    /// How many listeners wait for the signal to fire (Node's `listenerCount(signal, 'abort')`);
    /// they are dropped once it fired, and a socket removes its own when it closes.
    public var listenerCount: Int { listeners.count }

    /// Runs `listener` when the signal fires (at once if it already has).
    public func onAbort(_ listener: @escaping (NetError) -> Void) {
        if aborted, let reason { listener(reason) } else { _ = addListener(listener) }
    }

    /// Adds a listener for a signal that has not fired; the id removes it again.
    package func addListener(_ listener: @escaping (NetError) -> Void) -> Int {
        nextID += 1
        listeners.append((nextID, listener))
        return nextID
    }

    /// Removes the listener `addListener` gave `id` (nothing if it is gone).
    package func removeListener(_ id: Int) {
        listeners.removeAll { $0.id == id }
    }

    func fire(_ reason: NetError) {
        guard !aborted else { return }
        aborted = true
        self.reason = reason
        let pending = listeners
        listeners = []
        for l in pending { l.run(reason) }
    }

    static var abortError: NetError {
        NetError(code: "ABORT_ERR", message: "This operation was aborted", name: "AbortError")
    }

    /// The error an aborted operation fails with (Node's `AbortError`: "The operation was
    /// aborted", code `ABORT_ERR`), as a socket's `'error'`.
    package static var operationAborted: NetError {
        NetError(code: "ABORT_ERR", message: "The operation was aborted", name: "AbortError")
    }
}
