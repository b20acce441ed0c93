// The events every emitter has, whatever its type: Node's `'newListener'` and
// `'removeListener'`, which tell of listeners coming and going, and `errorMonitor`, which
// watches `'error'` without handling it. `ListenerTable` emits them; the flags it keeps
// (`hasNewListenerListeners`…) keep them off the data path.

extension Event where Payload == String {
    /// A listener is about to be added (Node's `'newListener'`); the payload is the name of its
    /// event. Emitted before the listener is in place, so `listenerCount` does not count it yet
    /// and the first `.newListener` listener does not hear of itself. (Node also passes the
    /// listener; a Swift closure has no identity to compare, so only the name comes.)
    public static var newListener: Self { .init(ListenerEventName.newListener) }

    /// A listener was removed (Node's `'removeListener'`); the payload is the name of its event.
    /// Emitted after the removal, for `off`, `removeAllListeners` (one event per listener, the
    /// last added first) and a once-listener leaving just before it runs. `removeAllListeners()`
    /// removes the `.removeListener` listeners last, so they hear of every other removal.
    public static var removeListener: Self { .init(ListenerEventName.removeListener) }
}

extension Event where Payload == NetError {
    /// Listeners that see every `'error'` before the `'error'` listeners do, without handling it
    /// (Node's `events.errorMonitor`): an `'error'` with only monitors is still unhandled, so a
    /// socket's or server's goes on to the loop's `onUnhandledError`. Its name is how Node prints
    /// the symbol, `Symbol(events.errorMonitor)`.
    ///
    /// Monitors hear the `'error'` emits whose payload is theirs; for an emitter whose `'error'`
    /// carries another type, see ``errorMonitor(for:)``.
    public static var errorMonitor: Self { .init(ListenerEventName.errorMonitor) }
}

extension Event {
    /// The ``errorMonitor`` of an `'error'` event with any payload type, for an emitter whose
    /// errors are not `NetError`s: `emitter.on(.errorMonitor(for: .error)) { error in … }`.
    public static func errorMonitor(for error: Self) -> Self { .init(ListenerEventName.errorMonitor) }
}
