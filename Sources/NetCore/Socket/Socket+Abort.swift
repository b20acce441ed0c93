/// The `signal` option (Node's `new net.Socket({ signal })`): an abort destroys the socket with
/// an `AbortError`, `'error'` then `'close'`.
extension Socket {
    /// Starts watching `signal`. One that already fired destroys a socket that has not started
    /// connecting on the next tick (a `connect` made meanwhile fails at once instead, see
    /// `refusedByAbortedSignal()`); otherwise a listener waits for it until the socket closes.
    func watch(_ signal: AbortSignal) {
        coldState.signal = signal
        if signal.aborted {
            loop.nextTick { [self] in
                if !destroyed && !connecting { destroy(AbortSignal.operationAborted) }
            }
            return
        }
        coldState.signalListener = signal.addListener { [weak self] _ in
            guard let self else { return }
            cold?.signalListener = nil
            destroy(AbortSignal.operationAborted)
        }
    }

    /// A connect that just started on a socket whose signal has fired: it is destroyed before
    /// any handle is opened (`'error'` with the `AbortError`, then `'close'` with `hadError`).
    /// True when that happened.
    func refusedByAbortedSignal() -> Bool {
        guard let signal = cold?.signal, signal.aborted else { return false }
        destroy(AbortSignal.operationAborted)
        return true
    }

    /// The socket closed for good: its listener leaves the signal.
    func stopWatchingSignal() {
        guard let c = cold, let id = c.signalListener else { return }
        c.signalListener = nil
        c.signal?.removeListener(id)
    }
}
