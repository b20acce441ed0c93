/// Options for a new `Socket` (Node's `new net.Socket(options)`).
public struct SocketOptions {
    /// When false (the default) the socket ends its writable side once the peer has ended its
    /// side (after `'end'`); when true it stays writable until you call `end()`.
    public var allowHalfOpen = false
    /// The readable and writable high-water marks in bytes; `nil` means 64 KiB (Node ≥ 22).
    public var highWaterMark: Int? = nil
    /// Reads go into your memory and to `onread.callback` instead of `'data'` events.
    public var onread: OnRead? = nil
    /// Destroys the socket with an `AbortError` (`ABORT_ERR`) when it fires, whether connecting
    /// or connected (Node's `signal`). With a signal that has already fired, a `connect` opens
    /// nothing and fails at once; a socket never connected is destroyed on the next tick. The
    /// socket's listener on the signal is removed when it closes.
    public var signal: AbortSignal? = nil
    /// Creates the default options.
    public init(allowHalfOpen: Bool = false, highWaterMark: Int? = nil, onread: OnRead? = nil, signal: AbortSignal? = nil) {
        self.allowHalfOpen = allowHalfOpen
        self.highWaterMark = highWaterMark
        self.onread = onread
        self.signal = signal
    }
}

/// Options for `socket.connect(_:)` and `Net.createConnection(_:)` (Node's `socket.connect(options)`),
/// with the `SocketOptions` fields that `createConnection` also takes.
public struct SocketConnectOptions {
    /// The port to connect to (0–65535).
    public var port: Int
    /// A Unix domain socket path to connect to instead of a host and port.
    public var path: String? = nil
    /// The host name or IP address; default `localhost`.
    public var host: String = "localhost"
    /// The local IP address to bind before connecting.
    public var localAddress: String? = nil
    /// The local port to bind before connecting.
    public var localPort: Int? = nil
    /// The IP family to look up: 0 (either, the default), 4 or 6.
    public var family: Int = 0
    /// `getaddrinfo` hint flags for the lookup (Node's `hints`).
    public var hints: Int32 = 0
    /// Disables Nagle's algorithm once connected (`setNoDelay(true)`).
    public var noDelay = false
    /// Enables keep-alive once connected (`setKeepAlive(true, keepAliveInitialDelay)`).
    public var keepAlive = false
    /// The keep-alive initial delay in milliseconds.
    public var keepAliveInitialDelay = 0
    /// An idle timeout in milliseconds that `Net.createConnection(_:)`, `Net.connect(_:)` and the
    /// async connect set with `setTimeout` on the socket they create, before connecting (Node's
    /// `net.createConnection` option). 0 or nil sets none; a negative value makes them throw
    /// `ERR_OUT_OF_RANGE`. As in Node, `socket.connect(_:)` on an existing socket ignores it:
    /// call `setTimeout` on that socket instead.
    public var timeout: Int? = nil
    /// See `SocketOptions.allowHalfOpen`.
    public var allowHalfOpen = false
    /// See `SocketOptions.highWaterMark`.
    public var highWaterMark: Int? = nil
    /// See `SocketOptions.onread`.
    public var onread: OnRead? = nil
    /// Try every address of a host name, alternating families, one at a time (happy eyeballs,
    /// Node's `autoSelectFamily`); `nil` uses the process default (on, as in Node).
    public var autoSelectFamily: Bool? = nil
    /// How long each happy-eyeballs attempt gets before the next starts, in milliseconds;
    /// `nil` uses the process default (250). Values under 10 count as 10.
    public var autoSelectFamilyAttemptTimeout: Int? = nil
    /// Resolves host names instead of the system resolver (Node's `lookup` option).
    public var lookup: LookupFunction? = nil
    /// Refuses to connect to addresses it blocks (`ERR_IP_BLOCKED`; Node ≥ 23.4).
    public var blockList: (any AddressFilter)? = nil
    /// See `SocketOptions.signal`. As in Node it is an option of the socket, taken when
    /// `Net.createConnection`/`Net.connect` create one; `socket.connect(_:)` on an existing
    /// socket ignores it.
    public var signal: AbortSignal? = nil

    /// Options to connect to `host:port`.
    public init(port: Int, host: String = "localhost") {
        self.port = port
        self.host = host
    }

    /// Options to connect to the Unix domain socket at `path`.
    public init(path: String) {
        self.port = 0
        self.path = path
    }

    /// The socket options within these connect options.
    public var socketOptions: SocketOptions {
         SocketOptions(allowHalfOpen: allowHalfOpen, highWaterMark: highWaterMark, onread: onread, signal: signal)
    }
}

/// The payload of a socket's `'close'` event.
public struct CloseEvent: Sendable, Equatable {
    /// Whether the socket was closed because of an error.
    public var hadError: Bool
}

/// The payload of a socket's `'lookup'` event: Node's `(err, address, family, host)`.
public struct LookupEvent: Sendable {
    /// The lookup error, if the lookup failed.
    public var error: NetError?
    /// The address connected to; `nil` when the lookup failed.
    public var address: String?
    /// 4 or 6; `nil` when the lookup failed.
    public var family: Int?
    /// The host that was looked up.
    public var host: String
    /// Creates the payload.
    public init(error: NetError? = nil, address: String? = nil, family: Int? = nil, host: String) {
        self.error = error
        self.address = address
        self.family = family
        self.host = host
    }
}

extension Event where Source == Socket, Payload == Void {
    /// The connection is established (Node's `'connect'`).
    public static var connect: Self { .init("connect") }
    /// The socket is ready for use, right after `'connect'` (Node's `'ready'`).
    public static var ready: Self { .init("ready") }
    /// The peer ended its side: no more data will arrive (Node's `'end'`).
    public static var end: Self { .init("end") }
    /// All writes are flushed and the writable side is shut down (Node's `'finish'`).
    public static var finish: Self { .init("finish") }
    /// The write queue emptied after `write` returned false (Node's `'drain'`).
    public static var drain: Self { .init("drain") }
    /// The socket was idle for its timeout; it stays open (Node's `'timeout'`).
    public static var timeout: Self { .init("timeout") }
    /// `pause()` stopped the flow of `'data'`, by the user's call or a pipe's backpressure
    /// (Node's Readable `'pause'`).
    public static var pause: Self { .init("pause") }
    /// The flow of `'data'` restarts, on the tick after `resume()`, before the buffered data
    /// (Node's Readable `'resume'`).
    public static var resume: Self { .init("resume") }
}

extension Event where Source == Socket, Payload == Buffer {
    /// Bytes arrived (Node's `'data'`). Adding a listener starts the flow of data.
    public static var data: Self { .init("data") }
}

extension Event where Source == Socket, Payload == Socket {
    /// A source began to pipe into this socket; the payload is the source (Node's Writable
    /// `'pipe'`).
    public static var pipe: Self { .init("pipe") }
    /// A source stopped piping into this socket (`unpipe`, or this socket finished, closed or
    /// failed); the payload is the source (Node's Writable `'unpipe'`).
    public static var unpipe: Self { .init("unpipe") }
}

extension Event where Source == Socket, Payload == CloseEvent {
    /// The socket is fully closed; its last event (Node's `'close'` with `hadError`).
    public static var close: Self { .init("close") }
}

extension Event where Source == Socket, Payload == NetError {
    /// Something failed; `'close'` follows (Node's `'error'`).
    public static var error: Self { .init("error") }
}

extension Event where Source == Socket, Payload == LookupEvent {
    /// The host name was resolved, or failed to, before connecting (Node's `'lookup'`).
    public static var lookup: Self { .init("lookup") }
}
