import NetCore

/// A loop-confined value (a `Server`) carried across tasks to be used again on its own loop.
///
/// `@unchecked Sendable` because the value is only ever touched on `loop`'s thread: ``value``
/// checks that it is read there, and every use goes through `EventLoop.execute`, which hands the
/// work to that thread (a mutex and `uv_async_send`), so no two threads see the value at once.
/// A class, so that the value also goes on that thread when the last task lets it go.
final class LoopBound<Value: AnyObject>: @unchecked Sendable {
    private let stored: Value
    /// The loop that owns the value.
    let loop: EventLoop

    /// Wraps `value`, which belongs to `loop`; call on that loop's thread.
    init(_ value: Value, loop: EventLoop) {
        precondition(loop.isCurrent, "a loop-bound value is made on its own loop")
        stored = value
        self.loop = loop
    }

    /// The value; read it only on ``loop``'s thread.
    var value: Value {
        precondition(loop.isCurrent, "a loop-bound value is used on its own loop")
        return stored
    }

    deinit { loop.releaseOnLoop(stored) }
}
