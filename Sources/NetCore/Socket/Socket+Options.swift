internal import CUV

/// Socket options and loop reference: `setNoDelay`, `setKeepAlive`, `ref`, `unref`.
extension Socket {
    /// Disables (true, the default) or re-enables Nagle's algorithm (Node's `setNoDelay`).
    /// Remembered until connected, where only `true` is applied; once connected the handle is
    /// touched only when the value differs from the last one set, which starts as `false` (Node's
    /// comparison). Returns the socket.
    @discardableResult
    public func setNoDelay(_ noDelay: Bool = true) -> Socket {
        guard let h = handle, !connecting else {
            wantNoDelay = noDelay
            return self
        }
        guard (wantNoDelay ?? false) != noDelay else { return self }
        wantNoDelay = noDelay
        _ = h.setNoDelay(noDelay)
        return self
    }

    /// Enables or disables TCP keep-alive, with the idle delay before the first probe in
    /// milliseconds (Node's `setKeepAlive(enable, initialDelay)`; probes then follow every second,
    /// ten at most). Remembered until connected, where only an enabled keep-alive is applied.
    /// Once connected the handle is touched only when the effective value changes, as Node
    /// compares: on/off, and the delay in whole seconds while enabled (a disabled keep-alive
    /// ignores its delay). Returns the socket.
    @discardableResult
    public func setKeepAlive(_ enable: Bool = false, initialDelay: Int = 0) -> Socket {
        let seconds = Swift.max(0, initialDelay / 1000)
        guard let h = handle, !connecting else {
            wantKeepAlive = (enable, seconds)
            return self
        }
        let (on, delay) = wantKeepAlive ?? (false, 0)
        guard enable != on || (enable && delay != seconds) else { return self }
        wantKeepAlive = (enable, seconds)
        _ = h.setKeepAlive(enable, delaySeconds: UInt32(clamping: seconds))
        return self
    }

    /// Lets the loop end while this socket is open (Node's `unref()`); remembered before
    /// connecting, and applied to the handles of happy-eyeballs attempts while they run.
    /// Returns the socket.
    @discardableResult
    public func unref() -> Socket {
        wantRef = false
        handle?.unref()
        for attempt in cold?.attempts ?? [] { attempt.handle?.unref() }
        return self
    }

    /// Makes the open socket keep the loop alive again (Node's `ref()`), attempts included.
    /// Returns the socket.
    @discardableResult
    public func ref() -> Socket {
        wantRef = true
        handle?.ref()
        for attempt in cold?.attempts ?? [] { attempt.handle?.ref() }
        return self
    }
}

extension Socket {
    /// The operating system's descriptor of the connection, while there is one.
    var fileDescriptor: Int32? {
        guard let h = handle, h.isOpen, !h.isClosing else { return nil }
        let fd = cuv_fileno(h.raw)
        return fd >= 0 ? fd : nil
    }
}
