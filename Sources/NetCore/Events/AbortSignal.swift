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
/// (`server.listen({ signal })` closes the server when it fires).
public final class AbortSignal {
    /// Whether the signal has fired.
    public private(set) var aborted = false
    /// Why it fired.
    public private(set) var reason: NetError?
    private var listeners: [(NetError) -> Void] = []

    init() {}

    /// A signal that has already fired (Node's `AbortSignal.abort()`).
    public static func abort(reason: NetError? = nil) -> AbortSignal {
        let s = AbortSignal()
        s.fire(reason ?? abortError)
        return s
    }

    /// Runs `listener` when the signal fires (at once if it already has).
    public func onAbort(_ listener: @escaping (NetError) -> Void) {
        if aborted, let reason { listener(reason) } else { listeners.append(listener) }
    }

    func fire(_ reason: NetError) {
        guard !aborted else { return }
        aborted = true
        self.reason = reason
        let pending = listeners
        listeners = []
        for l in pending { l(reason) }
    }

    static var abortError: NetError {
        NetError(code: "ABORT_ERR", message: "This operation was aborted", name: "AbortError")
    }
}
