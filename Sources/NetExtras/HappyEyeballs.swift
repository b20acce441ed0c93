#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import NetCore

/// Node's happy eyeballs (`autoSelectFamily`, `internalConnectMultiple` in `lib/net.js`) as a
/// pure state machine: it owns no socket, handle or timer. Its inputs are what happened (an
/// attempt bound, started, succeeded or failed, its timer fired, the socket was destroyed);
/// its outputs are the actions to take, in order. `HappyEyeballsDriver` performs them on a
/// `Socket` and a `Timeout`; tests perform them with a fake resolver and a fake clock.
///
/// The addresses (already ordered by `AddressOrder`) are tried one at a time, never in
/// parallel. For each: bind the local port if one was given (a failure is recorded silently and
/// the next address tried); refuse it if the `blockList` blocks it (`ERR_IP_BLOCKED` recorded,
/// `'connectionAttemptFailed'`); else `'connectionAttempt'`, add `ip:port` to the attempted
/// addresses and connect. Every attempt but the last gets a timer: when it fires,
/// `'connectionAttemptTimeout'`, an `ETIMEDOUT` error is recorded, the attempt is abandoned
/// (closed) and the next address tried. A failure records its error, emits
/// `'connectionAttemptFailed'` and moves on (an `ECANCELED` failure ends the sequence). The first
/// success wins; a success of an attempt already abandoned is closed. When every address failed
/// the connect fails with an aggregate of every attempt's error.
package struct HappyEyeballs {
    /// Something that happened to the connect.
    package enum Input: Equatable, Sendable {
        /// Begin with the first address.
        case start
        /// Attempt `i` bound its local port.
        case bound(Int)
        /// Attempt `i` could not bind its local port.
        case bindFailed(Int, NetError)
        /// Attempt `i`'s connect was started and is pending.
        case connectStarted(Int)
        /// Attempt `i` connected.
        case succeeded(Int)
        /// Attempt `i` failed, at once or later.
        case failed(Int, NetError)
        /// The timer started for attempt `i` fired.
        case timerFired(Int)
        /// The socket was destroyed: stop everything, silently.
        case abort
    }

    /// What to do, in order.
    package enum Action: Equatable, Sendable {
        /// Make attempt `i`'s handle and bind its local port; answer `.bound` or `.bindFailed`.
        case bind(Int)
        /// Start attempt `i`'s connect (making its handle if `bind` did not); answer
        /// `.connectStarted` or `.failed`, then later `.succeeded` or `.failed`.
        case connect(Int)
        /// Start the attempt timer for attempt `i`, to fire after `milliseconds`.
        case startTimer(Int, milliseconds: Int)
        /// Stop the pending attempt timer.
        case cancelTimer
        /// Emit `'connectionAttempt'` for attempt `i`.
        case emitAttempt(Int)
        /// Append attempt `i`'s `ip:port` to `autoSelectFamilyAttemptedAddresses`.
        case recordAttempted(Int)
        /// Emit `'connectionAttemptFailed'` for attempt `i` with its error.
        case emitFailed(Int, NetError)
        /// Emit `'connectionAttemptTimeout'` for attempt `i`.
        case emitTimeout(Int)
        /// Close attempt `i`'s handle and ignore whatever it reports later.
        case abandon(Int)
        /// Attempt `i` is the connection: hand its handle to the socket.
        case succeed(Int)
        /// The connect failed with this error (an aggregate of every attempt's error).
        case fail(NetError)
    }

    private enum Phase: Equatable {
        case idle
        case binding(Int)
        case connecting(Int)
        case done
    }

    /// The addresses to try, in order.
    package let addresses: [LookupAddress]
    /// The port to connect to.
    package let port: Int
    /// The local port each attempt binds, if any.
    package let localPort: Int?
    /// How long an attempt other than the last may take, in milliseconds.
    package let attemptTimeout: Int
    private let isBlocked: (Int) -> Bool
    private var phase = Phase.idle
    private var timerFor: Int?
    /// Every attempt's error so far, in order.
    package private(set) var errors: [NetError] = []

    /// A machine for `addresses` (at least one), each connected on `port`; `isBlocked` is the
    /// connect's `blockList`, asked when an attempt is about to start.
    package init(
        addresses: [LookupAddress], port: Int, localPort: Int? = nil, attemptTimeout: Int,
        isBlocked: @escaping (LookupAddress) -> Bool = { _ in false }
    ) {
        self.init(addresses: addresses, port: port, localPort: localPort, attemptTimeout: attemptTimeout,
                  isBlockedAt: { isBlocked(addresses[$0]) })
    }

    /// A machine whose `isBlockedAt` is asked by index into `addresses` (so a caller can answer
    /// from addresses it parsed already).
    package init(
        addresses: [LookupAddress], port: Int, localPort: Int? = nil, attemptTimeout: Int,
        isBlockedAt: @escaping (Int) -> Bool
    ) {
        self.addresses = addresses
        self.port = port
        self.localPort = localPort
        self.attemptTimeout = attemptTimeout
        self.isBlocked = isBlockedAt
    }

    /// Whether the connect has ended (won, failed or aborted).
    package var isDone: Bool { phase == .done }

    /// The attempt in progress, if any.
    package var current: Int? {
        switch phase {
        case .binding(let i), .connecting(let i): return i
        case .idle, .done: return nil
        }
    }

    /// Takes in what happened; returns what to do about it.
    package mutating func handle(_ input: Input) -> [Action] {
        switch input {
        case .start:
            guard phase == .idle else { return [] }
            return advance(to: 0)
        case .bound(let i):
            guard phase == .binding(i) else { return [] }
            return afterBind(i)
        case .bindFailed(let i, let error):
            guard phase == .binding(i) else { return [] }
            errors.append(error)
            return [.abandon(i)] + advance(to: i + 1)
        case .connectStarted(let i):
            guard phase == .connecting(i), i < addresses.count - 1 else { return [] }
            timerFor = i
            return [.startTimer(i, milliseconds: attemptTimeout)]
        case .succeeded(let i):
            guard phase == .connecting(i) else { return [.abandon(i)] }
            phase = .done
            return stopTimer() + [.succeed(i)]
        case .failed(let i, let error):
            guard phase == .connecting(i) else { return [] }
            errors.append(error)
            let actions = stopTimer() + [.abandon(i), .emitFailed(i, error)]
            if error.code == "ECANCELED" { return actions + finish() }
            return actions + advance(to: i + 1)
        case .timerFired(let i):
            guard timerFor == i, phase == .connecting(i) else { return [] }
            timerFor = nil
            let a = addresses[i]
            errors.append(.connectAttempt(-ETIMEDOUT, address: a.address, port: port, localPort: localPort))
            return [.emitTimeout(i), .abandon(i)] + advance(to: i + 1)
        case .abort:
            let pending = current
            guard phase != .done else { return [] }
            phase = .done
            return stopTimer() + (pending.map { [.abandon($0)] } ?? [])
        }
    }

    /// Starts attempt `i`, or ends the connect when no address is left.
    private mutating func advance(to i: Int) -> [Action] {
        guard i < addresses.count else { return finish() }
        if localPort != nil {
            phase = .binding(i)
            return [.bind(i)]
        }
        return afterBind(i)
    }

    /// Attempt `i` is bound (or needs no binding): refuse it if blocked, else connect.
    private mutating func afterBind(_ i: Int) -> [Action] {
        if isBlocked(i) {
            let error = NetError.ipBlocked(addresses[i].address)
            errors.append(error)
            let close: [Action] = localPort != nil ? [.abandon(i)] : []
            return close + [.emitFailed(i, error)] + advance(to: i + 1)
        }
        phase = .connecting(i)
        return [.emitAttempt(i), .recordAttempted(i), .connect(i)]
    }

    private mutating func stopTimer() -> [Action] {
        guard timerFor != nil else { return [] }
        timerFor = nil
        return [.cancelTimer]
    }

    /// Every address failed: the aggregate error (or Node's connection timeout error when no
    /// attempt recorded one).
    private mutating func finish() -> [Action] {
        phase = .done
        let stop = stopTimer()
        guard let first = errors.first else {
            return stop + [.fail(NetError(code: .ERR_SOCKET_CONNECTION_TIMEOUT, message: "Socket connection timeout"))]
        }
        var aggregate = NetError(code: first.code, message: "", name: "AggregateError")
        aggregate.errors = errors
        return stop + [.fail(aggregate)]
    }
}

extension NetError.Code {
    /// Happy eyeballs ended without any attempt reporting an error.
    public static let ERR_SOCKET_CONNECTION_TIMEOUT: Self = "ERR_SOCKET_CONNECTION_TIMEOUT"
}
