#if canImport(Glibc)
import Glibc
#endif

/// Starts a pthread running `body` and returns it (joinable; detach it if nobody joins).
///
/// Safety: `body` crosses to the new thread in a box retained for it here and released by the
/// thread once it has taken the closure out, so the closure lives exactly as long as it is needed.
func startPthread(_ body: @escaping @Sendable () -> Void) -> pthread_t {
    var thread = pthread_t()
    let context = Unmanaged.passRetained(ThreadBody(body)).toOpaque()
    pthread_create(&thread, nil, { context in
        let box = Unmanaged<ThreadBody>.fromOpaque(context!).takeRetainedValue()
        box.body()
        return nil
    }, context)
    return thread
}

/// The closure a new thread runs.
private final class ThreadBody: Sendable {
    let body: @Sendable () -> Void
    init(_ body: @escaping @Sendable () -> Void) { self.body = body }
}
