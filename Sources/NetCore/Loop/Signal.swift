#if canImport(Glibc)
import Glibc
#endif

/// Watches for a process signal on a loop (Node's `process.on('SIGINT', …)`).
///
/// The watcher does not keep the loop alive; it runs `handler` on the loop's thread each time
/// the signal arrives, until `close()`.
public final class SignalWatcher {
    private let handle: SignalHandle

    /// Starts watching `signal` (e.g. `SIGINT`) on `loop`. The signal is unblocked on the calling
    /// thread (a process may inherit it blocked from its parent), so it is really delivered.
    public init(_ signal: Int32, loop: EventLoop = .default, _ handler: @escaping () -> Void) {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, signal)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        handle = SignalHandle(loop: loop, signal: signal, handler: handler)
    }

    /// Stops watching.
    public func close() { handle.close() }

    /// Makes the watcher keep its loop running (by default it does not).
    public func ref() { handle.ref() }
}

