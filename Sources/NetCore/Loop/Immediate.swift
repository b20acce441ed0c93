import DequeModule

/// A callback queued with `EventLoop.setImmediate` (Node's `Immediate`): it runs once, on the
/// loop's next check phase (after I/O callbacks), unless cleared first.
public final class Immediate {
    fileprivate var callback: (() -> Void)?
    fileprivate var refed = true
    private unowned let loop: EventLoop

    fileprivate init(loop: EventLoop, callback: @escaping () -> Void) {
        self.loop = loop
        self.callback = callback
    }

    /// Whether the callback still waits to run.
    public var isPending: Bool { callback != nil }

    /// Makes the pending immediate keep the loop alive (the default). Returns it.
    @discardableResult
    public func ref() -> Immediate {
        if !refed, callback != nil { loop.immediates.changeRefs(by: 1) }
        refed = true
        return self
    }

    /// Lets the loop end while this immediate is pending. Returns it.
    @discardableResult
    public func unref() -> Immediate {
        if refed, callback != nil { loop.immediates.changeRefs(by: -1) }
        refed = false
        return self
    }

    /// Whether the immediate keeps the loop alive (Node's `hasRef()`).
    public func hasRef() -> Bool { refed }

    /// Cancels the callback if it has not run (Node's `clearImmediate`).
    public func clear() {
        guard callback != nil else { return }
        callback = nil
        if refed { loop.immediates.changeRefs(by: -1) }
    }
}

/// The loop's immediate queue, served as Node serves it: one `uv_check_t` runs the queued
/// callbacks after each poll, and a `uv_idle_t`, active only while a ref'ed immediate waits,
/// keeps the loop alive and stops the poll from blocking. No timer or handle per call.
final class ImmediateQueue {
    private enum Entry {
        case plain(() -> Void)
        case object(Immediate)
    }

    private var queue = Deque<Entry>()
    private var refs = 0
    private var check: LoopHandle?
    private var idle: LoopHandle?

    /// Queues `callback`; the loop stays alive until it ran.
    func add(_ callback: @escaping () -> Void, loop: EventLoop) {
        start(loop)
        queue.append(.plain(callback))
        changeRefs(by: 1)
    }

    /// Queues an `Immediate` object.
    func add(_ immediate: Immediate, loop: EventLoop) {
        start(loop)
        queue.append(.object(immediate))
        changeRefs(by: 1)
    }

    private func start(_ loop: EventLoop) {
        guard check == nil else { return }
        // Neither the loop nor this queue is captured strongly: the loop owns the queue, which owns
        // the handles (a strong capture would be a cycle that keeps every loop alive).
        let c = LoopHandle(loop: loop, kind: .check) { [unowned self, unowned(unsafe) loop] in runBatch(loop) }
        c.unref()
        check = c
        idle = LoopHandle(loop: loop, kind: .idle) {}
    }

    /// Counts ref'ed immediates; the idle handle runs exactly while there are some.
    func changeRefs(by delta: Int) {
        let before = refs
        refs += delta
        if before == 0 && refs > 0 { idle?.start() } else if before > 0 && refs == 0 { idle?.stop() }
    }

    /// Runs what was queued before this check phase; what those callbacks queue waits for the
    /// next one, as in Node. Ticks run after each callback.
    private func runBatch(_ loop: EventLoop) {
        var n = queue.count
        while n > 0, let entry = queue.popFirst() {
            n -= 1
            switch entry {
            case .plain(let body):
                changeRefs(by: -1)
                body()
            case .object(let immediate):
                guard let body = immediate.callback else { continue }
                immediate.callback = nil
                if immediate.refed { changeRefs(by: -1) }
                body()
            }
            loop.drainTicks()
        }
    }

    /// Closes both handles (the loop is closing).
    func close() {
        check?.close()
        idle?.close()
        check = nil
        idle = nil
    }
}

extension EventLoop {
    /// Runs `callback` on the next turn of the loop, after the current callbacks, every queued
    /// tick and the I/O callbacks of this turn (Node's `setImmediate`). The returned object can
    /// cancel it (`clear()`) or let the loop end without it (`unref()`).
    @discardableResult
    public func setImmediate(_ callback: @escaping () -> Void) -> Immediate {
        let immediate = Immediate(loop: self, callback: callback)
        immediates.add(immediate, loop: self)
        return immediate
    }

    /// `setImmediate` for the library's own steps: no object to return.
    func immediate(_ callback: @escaping () -> Void) {
        immediates.add(callback, loop: self)
    }
}
