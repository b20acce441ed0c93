import DequeModule

/// A TCP or Unix-domain connection with Node's `net.Socket` API and semantics: a duplex
/// stream of bytes with the events `connect`, `ready`, `lookup`, `data`, `end`, `finish`,
/// `drain`, `timeout`, `error` and `close`.
///
/// A socket belongs to the event loop it was created on and must be used on that loop's thread.
/// While it is connecting or connected, the loop keeps it alive; after `'close'` its listeners are
/// dropped (unless a `'close'` listener connected it again), so closures that capture the socket
/// do not keep it alive forever.
public final class Socket: EventEmitter {
    /// The loop this socket runs on.
    public let loop: EventLoop
    /// The storage behind the emitter methods (`on`, `listeners(_:)`…), created with the first
    /// listener: a connection nobody listens to (a `pipe` echo, say) carries none.
    public var listenerTable: ListenerTable {
        if let tableRef { return tableRef.takeUnretainedValue() }
        let t = ListenerTable()
        t.observer = self
        tableRef = Unmanaged.passRetained(t)
        hasChunkExtras = true
        return t
    }
    /// The table once a listener created it (emitting reads this one, and never creates it).
    public var existingListenerTable: ListenerTable? { tableRef?.takeUnretainedValue() }
    /// The table, retained by hand from its creation until `deinit` and never replaced, so the
    /// data path can borrow it for an emit (`emitBorrowingTable`): a strong optional `var` is
    /// retained and released around every call made through it, 40 instructions per chunk for a
    /// socket with a `'data'` listener (`make bench-instr`).
    @exclusivity(unchecked) private var tableRef: Unmanaged<ListenerTable>?

    /// `emit` for the data path, borrowing the table (see `tableRef`): sound because the table
    /// lives as long as the socket, which the caller holds.
    @inline(__always)
    func emitBorrowingTable<P>(_ event: Event<Socket, P>, _ payload: P) -> Bool {
        guard let ref = tableRef else { return false }
        return ref._withUnsafeGuaranteedRef { $0.emit(event.name, payload) }
    }

    /// `'data'` for the data path: one flag test when the table holds no `'data'` listener.
    @inline(__always)
    func emitDataBorrowingTable(_ chunk: Buffer) {
        guard let ref = tableRef else { return }
        ref._withUnsafeGuaranteedRef { table in
            if table.hasDataListeners { _ = table.emit(Event<Socket, Buffer>.data.name, chunk) }
        }
    }
    // Unchecked exclusivity (the attribute below) marks the state the data path touches on every chunk: it is
    // loop-confined and never accessed across a call that can re-enter (see "Threads and unsafe
    // code" in Sources/NetCore/README.md); the dynamic checks would cost a quarter of an echo.

    @exclusivity(unchecked) var handle: StreamHandle?
    /// The server that accepted this socket, if any (Node's `socket.server`).
    public internal(set) var server: Server?

    /// The stream's state: every rule of Node's Readable and Writable lives there
    /// (`Stream/StreamState.swift`); this class performs what it answers.
    @exclusivity(unchecked) var state: StreamState

    /// Decodes chunks for `.text` listeners once `setEncoding` was called or one was added.
    @exclusivity(unchecked) var decoder: StringDecoder? { didSet { if decoder != nil { hasChunkExtras = true } } }

    // The fields below are ordered so that small ones fill the padding after odd-sized ones:
    // an idle connection's socket object fits malloc's 240-byte class (`make bench`, idle).

    /// Destinations this socket pipes to (held), and sources that pipe into it (pointed at).
    @exclusivity(unchecked) var pipeTargets = SocketList<Holding>()

    // Options remembered until there is a handle.
    var wantNoDelay: Bool?
    var wantRef = true
    /// Whether the socket ever had an idle timeout, a listener table or a text decoder: until it
    /// has, the data path skips all three with one test (set once, never cleared, so a set flag
    /// only sends the path to the checks it would make anyway).
    @exclusivity(unchecked) var hasChunkExtras = false

    @exclusivity(unchecked) var pipeSources = SocketList<Pointing>()

    /// The peer's address, cached while connected so it stays readable in `'close'`.
    var cachedPeer: PeerAddress?

    // Timeout: the last value set, -1 while `setTimeout` was never called.
    @exclusivity(unchecked) var timeoutMs = -1
    /// State most sockets never need, allocated on first use to keep idle sockets small.
    @exclusivity(unchecked) var cold: SocketCold?

    /// Creates an unconnected socket (Node's `new net.Socket(options)`); call `connect` next.
    public init(_ options: SocketOptions = SocketOptions(), loop: EventLoop = .default) {
        self.loop = loop
        state = StreamState(highWaterMark: options.highWaterMark ?? 64 * 1024, allowHalfOpen: options.allowHalfOpen)
        if let o = options.onread { onread = OnReadState(o) }
        loop.liveEmitters += 1
        if let signal = options.signal { watch(signal) }
    }

    /// A socket for a connection a server accepted.
    convenience init(acceptedBy server: Server, handle: StreamHandle, options: SocketOptions) {
        self.init(options, loop: server.loop)
        self.server = server
        adopt(handle)
    }

    /// Takes ownership of a connected handle.
    func adopt(_ h: StreamHandle) {
        handle = h
        h.socket = self
        h.usesOnread = cold?.onread != nil
        if !wantRef { h.unref() }
        if !state.isConnecting { state.opened() }
    }

    deinit {
        // Its last reference must drop on the loop (see `EventLoop.releaseOnLoop`).
        loop.assertOnLoopThread("Socket.deinit")
        tableRef?.release()
        if !pipeTargets.isEmpty || !pipeSources.isEmpty { unlinkAllPipes() }
        cold?.idleTimer?.close()
        loop.liveEmitters -= 1
    }

    // MARK: State (Node's getters)

    /// Whether a connect is in progress (Node's `connecting`).
    public var connecting: Bool { state.isConnecting }
    /// Whether the socket has been destroyed (Node's `destroyed`).
    public var destroyed: Bool { state.isDestroyed }
    /// Whether the socket is closed or closing (Node's `closed`): true from `destroy()` on, as
    /// for Node's socket, whose `_destroy` lets go of the handle at once, before `'close'`.
    public var closed: Bool { state.isDestroyed }
    /// The error the socket was destroyed with, `nil` when none (Node's `errored`).
    public var errored: NetError? { state.destroyError }
    /// Whether the socket was destroyed or failed before `'end'` (Node's `readableAborted`).
    public var readableAborted: Bool { (state.isDestroyed || state.destroyError != nil) && !state.readableEnded }
    /// Whether data was delivered at least once, to `'data'` listeners or pipes (Node's
    /// `readableDidRead`); `onread` delivers none.
    public var readableDidRead: Bool { onread == nil && state.bytesRead > state.readableLength }
    /// Whether the writable side stays open after the peer ends (see `SocketOptions`).
    public var allowHalfOpen: Bool {
        get { state.allowHalfOpen }
        set { state.setAllowHalfOpen(newValue) }
    }
    /// Whether `'end'` has been emitted (Node's `readableEnded`).
    public var readableEnded: Bool { state.readableEnded }
    /// Whether `end()` has been called (Node's `writableEnded`).
    public var writableEnded: Bool { state.writableEnded }
    /// Whether `'finish'` has been emitted (Node's `writableFinished`).
    public var writableFinished: Bool { state.writableFinished }
    /// The readable high-water mark in bytes.
    public var readableHighWaterMark: Int { state.readableHighWaterMark }
    /// The writable high-water mark in bytes: `write` returns false once what waits in memory
    /// reaches it.
    public var writableHighWaterMark: Int { state.writableHighWaterMark }

    /// Bytes received so far (Node's `bytesRead`); still readable after `'close'`.
    public var bytesRead: Int { state.bytesRead }

    /// Bytes accepted for writing so far, queued ones included (Node's `bytesWritten`).
    public var bytesWritten: Int { state.bytesWritten }

    /// True until connected, and again from `destroy()` on (Node's `pending`: Node's socket lets
    /// go of its handle in `destroy()`, before `'close'`).
    public var pending: Bool { handle == nil || connecting || destroyed }

    /// Whether the socket can still be read from (Node's `readable`).
    public var readable: Bool { state.readable }

    /// Whether the socket can still be written to (Node's `writable`).
    public var writable: Bool { state.writable }

    /// `"opening"`, `"open"`, `"readOnly"`, `"writeOnly"` or `"closed"` (Node's `readyState`).
    public var readyState: String {
        if connecting { return "opening" }
        switch (readable, writable) {
        case (true, true): return "open"
        case (true, false): return "readOnly"
        case (false, true): return "writeOnly"
        case (false, false): return "closed"
        }
    }

    /// What waits to be written (Node's `writableLength`): bytes, and for a queued string its
    /// `length` as Node counts it (UTF-16 code units) until it is written.
    public var writableLength: Int { state.writableLength }

    /// Node's deprecated `bufferSize`: the same as `writableLength` while the socket has a
    /// handle (a connect in progress counts, as Node's handle exists from `connect()` on), `nil`
    /// (Node's `undefined`) before connecting and from `destroy()` on.
    public var bufferSize: Int? { (handle == nil && !connecting) || destroyed ? nil : state.writableLength }

    /// Whether a `'drain'` is awaited because `write` returned false (Node's `writableNeedDrain`).
    public var writableNeedDrain: Bool { state.needDrain }

    /// Bytes received but not yet delivered as `'data'` (Node's `readableLength`).
    public var readableLength: Int { state.readableLength }

    /// `true` while data flows, `false` when paused, `nil` before anyone consumed data
    /// (Node's `readableFlowing`).
    public var readableFlowing: Bool? { state.readableFlowing }

    /// The remote IP address (Node's `remoteAddress`); `nil` before connecting.
    public var remoteAddress: String? { peer?.address }
    /// The remote port (Node's `remotePort`).
    public var remotePort: Int? { peer?.port }
    /// `"IPv4"` or `"IPv6"` for the remote end (Node's `remoteFamily`).
    public var remoteFamily: String? { peer?.family }
    /// The local IP address (Node's `localAddress`); `nil` when not connected.
    public var localAddress: String? { local?.address }
    /// The local port (Node's `localPort`).
    public var localPort: Int? { local?.port }
    /// `"IPv4"` or `"IPv6"` for the local end (Node's `localFamily`).
    public var localFamily: String? { local?.family }

    /// The local address, family and port (Node's `socket.address()`); `nil` when not connected.
    public func address() -> AddressInfo? { local }

    /// The peer's address, read from the kernel on first use while connected and kept, so it
    /// stays readable in `'close'` (as Node caches `_peername`); never read, it costs nothing.
    /// Never read before `destroy()`, it is `nil` from then on, as Node's handle is gone.
    var peer: AddressInfo? {
        if cachedPeer == nil, !connecting, !destroyed { cachePeer() }
        return cachedPeer?.info
    }

    var local: AddressInfo? {
        guard !destroyed, !connecting else { return nil }
        return cold?.proxiedLocal ?? handle?.localName
    }

    /// Reports the ends a PROXY protocol header named instead of the connection's own.
    func adoptProxiedAddresses(remote: AddressInfo, local: AddressInfo) {
        cachedPeer = PeerAddress(remote)
        coldState.proxiedLocal = local
    }

    func cachePeer() {
        if let name = handle?.peerName { cachedPeer = PeerAddress(name) }
    }

    // MARK: Errors

    /// Emits `'error'`; with no listener (`.errorMonitor` ones do not count) the loop's `onUnhandledError` hook hears it instead.
    func emitError(_ error: NetError) {
        if !pipeSources.isEmpty { unpipeFromSources() }
        if !emit(.error, error) {
            loop.reportUnhandled(error, source: "Socket")
        }
    }

    /// Logs the warning at `warning` level through the loop's `logger` (replace the logger to
    /// send it elsewhere).
    public func maxListenersExceeded(_ warning: MaxListenersExceededWarning) {
        warning.log(to: loop.logger)
    }
}

extension Socket: ListenerObserver {
    /// A `'data'` listener starts the flow of data, as in Node; a `.text` one also starts decoding.
    func listenerAdded(name: String, type: ObjectIdentifier) {
        guard name == "data" else { return }
        if type == ObjectIdentifier(String.self) && decoder == nil { decoder = StringDecoder(.utf8) }
        if state.flow == .initial { resume() }
    }
}

/// A peer's address as a socket caches it: 19 bytes where an `AddressInfo` takes 40 (a peer's
/// family is one of two strings, and its port fits 16 bits).
struct PeerAddress {
    let address: String
    let port: UInt16
    let isIPv6: Bool

    init(_ info: AddressInfo) {
        address = info.address
        port = UInt16(clamping: info.port)
        isIPv6 = info.family == "IPv6"
    }

    var info: AddressInfo { AddressInfo(address: address, family: isIPv6 ? "IPv6" : "IPv4", port: Int(port)) }
}

/// The parts of a socket's state that most sockets never use, kept out of the socket object so
/// that an idle connection stays small.
final class SocketCold {
    @exclusivity(unchecked) var onread: OnReadState?
    var attemptedAddresses: [String]?
    var connectAbort: (() -> Void)?
    var wantKeepAlive: (Bool, Int)?
    var idleTimer: IdleTimer?
    /// The `signal` option, and the id of the socket's listener on it while it waits.
    var signal: AbortSignal?
    var signalListener: Int?
    /// Happy-eyeballs attempts running for the socket, whose handles `ref`/`unref` reach.
    var attempts: [ConnectAttempt] = []
    var proxiedLocal: AddressInfo?
}

extension Socket {
    /// The cold state, created when first written.
    var coldState: SocketCold {
        if let c = cold { return c }
        let c = SocketCold()
        cold = c
        return c
    }

    var onread: OnReadState? {
        get { cold?.onread }
        set { if newValue != nil || cold != nil { coldState.onread = newValue } }
    }
    var attemptedAddresses: [String]? {
        get { cold?.attemptedAddresses }
        set { if newValue != nil || cold != nil { coldState.attemptedAddresses = newValue } }
    }
    var connectAbort: (() -> Void)? {
        get { cold?.connectAbort }
        set { if newValue != nil || cold != nil { coldState.connectAbort = newValue } }
    }
    var wantKeepAlive: (Bool, Int)? {
        get { cold?.wantKeepAlive }
        set { if newValue != nil || cold != nil { coldState.wantKeepAlive = newValue } }
    }
    var idleTimer: IdleTimer? {
        get { cold?.idleTimer }
        set { if newValue != nil || cold != nil { coldState.idleTimer = newValue } }
    }
}

/// A socket's closure-free deferred steps (see `EventLoop.nextTick(_:_:)`).
enum SocketStep: UInt8 {
    /// Deliver buffered data, then read again (`resume()`).
    case resume
    /// Emit `'drain'` if it is still owed.
    case drain
    /// End the writable side after the peer's end (no `allowHalfOpen`).
    case end
    /// Emit `'finish'` (the peer ended first, so closing sends the FIN).
    case finish
    /// Stop delivering the chunks a destroyed socket still buffers.
    case endDelivery
}

extension Socket: TickTarget {
    func runTick(_ step: UInt8) {
        switch SocketStep(rawValue: step) {
        case .resume: resumeTick()
        case .drain: drainTick()
        case .end: if !destroyed { end() }
        case .finish: finishWritable()
        case .endDelivery: state.deliveryEnded()
        case nil: break
        }
    }
}
