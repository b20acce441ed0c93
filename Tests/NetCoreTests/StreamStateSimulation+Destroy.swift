import Testing
@testable import NetCore

/// The simulation's tearing down and idle timer, mirroring `Socket+Destroy.swift` and
/// `Socket+Timeout.swift` (the rest of the mirror is in `StreamStateSimulation.swift`).
extension StreamSim {
    // MARK: Socket+Destroy.swift

    func destroy(_ error: NetError?) {
        guard let teardown = state.destroy(error) else { return }
        timerArmed = false
        if teardown.failQueuedWrites { nextTick { self.failQueuedWrites() } }
        if let error { nextTick { self.emitError(error) } }
        if teardown.endDeliveryNextTick { nextTick { self.state.deliveryEnded() } }
        if handle != .none {
            reading = false
            handle = .closing
        } else {
            let hadError = teardown.wasConnecting && error != nil
            if teardown.wasConnecting {
                immediates.append { self.emitClose(hadError: hadError) }
            } else {
                nextTick { self.emitClose(hadError: hadError) }
            }
        }
    }

    func emitError(_ error: NetError) {
        errors += 1
        emit("error(\(error.code.rawValue))")
    }

    func failQueuedWrites() {
        let error = state.destroyError
            ?? NetError(code: .ERR_STREAM_DESTROYED, message: "Cannot call write after a stream was destroyed")
        for chunk in state.takeQueuedWrites() { chunk.callback?(error) }
        let ends = state.takeEndCallbacksForDestroy()
        for callback in ends.callbacks { callback(ends.error) }
    }

    func handleClosed() {
        handle = .none
        reading = false
        state.handleClosed()
        emitClose(hadError: state.isErrored)
    }

    func emitClose(hadError: Bool) {
        let stranded = state.takeQueuedWrites()
        emit("close(\(hadError))")
        closes += 1
        var index = 0
        for chunk in stranded {
            guard let callback = chunk.callback else { continue }
            callback(state.strandedWriteError(at: index))
            index += 1
        }
        if !stranded.isEmpty {
            let ends = state.takeEndCallbacksForDestroy(afterStranded: true)
            for callback in ends.callbacks { callback(ends.error) }
        }
        if state.isFinal && handle == .none { state.dropEndCallbacks() }
    }

    // MARK: Socket+Timeout.swift

    func onTimeout() {
        switch state.timeoutFired(kernelQueueSize: handle != .none ? inFlight?.unsent ?? 0 : nil) {
        case .nothing: break
        case .wait: refreshTimeout()
        case .emit: emit("timeout")
        }
    }

    func refreshTimeout() { if timeoutOn { timerArmed = true } }
}
