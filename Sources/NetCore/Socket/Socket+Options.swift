internal import CUV

/// Socket options and loop reference: `setNoDelay`, `setKeepAlive`, `ref`, `unref`.
extension Socket {
    /// Disables (true, the default) or re-enables Nagle's algorithm (Node's `setNoDelay`).
    /// Remembered until connected; the handle is touched only when the setting changes.
    /// Returns the socket.
    @discardableResult
    public func setNoDelay(_ noDelay: Bool = true) -> Socket {
        guard wantNoDelay != noDelay else { return self }
        wantNoDelay = noDelay
        if let h = handle, !connecting { _ = h.setNoDelay(noDelay) }
        return self
    }

    /// Enables or disables TCP keep-alive, with the idle delay before the first probe in
    /// milliseconds (Node's `setKeepAlive(enable, initialDelay)`; probes then follow every second,
    /// ten at most). Remembered until connected. Returns the socket.
    @discardableResult
    public func setKeepAlive(_ enable: Bool = false, initialDelay: Int = 0) -> Socket {
        let wish = (enable, initialDelay)
        if let current = wantKeepAlive, current == wish { return self }
        wantKeepAlive = wish
        if let h = handle, !connecting { _ = h.setKeepAlive(enable, delaySeconds: UInt32(clamping: Swift.max(0, initialDelay / 1000))) }
        return self
    }

    /// Lets the loop end while this socket is open (Node's `unref()`); remembered before
    /// connecting. Returns the socket.
    @discardableResult
    public func unref() -> Socket {
        wantRef = false
        handle?.unref()
        return self
    }

    /// Makes the open socket keep the loop alive again (Node's `ref()`). Returns the socket.
    @discardableResult
    public func ref() -> Socket {
        wantRef = true
        handle?.ref()
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
