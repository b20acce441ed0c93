internal import CUV

/// The error type of swift-net: Node's `Error` objects with their `code`, `errno`, `syscall`,
/// `address` and `port` properties, as one Swift value.
///
/// Argument errors thrown synchronously (Node's `TypeError`/`RangeError` with a `code` such as
/// `ERR_SOCKET_BAD_PORT`) and system errors delivered through `'error'` events
/// (`connect ECONNREFUSED 127.0.0.1:4000`) share this type; `message` reads as Node's does.
public struct NetError: Error, Sendable, Equatable, CustomStringConvertible {
    // The fields live in one copy-on-write box, so a `NetError` is a single reference: every
    // awaited read and write passes a `Result` or a typed throw that can hold one, and with the
    // fields inline (about 150 bytes) each such value was copied with `memcpy`, about 200
    // instructions per async echoed round trip (`make bench-instr`, callgrind).
    private var fields: Fields

    /// Node's error code, e.g. `ECONNREFUSED` or `ERR_SOCKET_BAD_PORT`.
    public var code: Code {
        get { fields.code }
        set { unique().code = newValue }
    }
    /// The message text, as Node writes it.
    public var message: String {
        get { fields.message }
        set { unique().message = newValue }
    }
    /// The negative libuv error number for system errors (Node's `errno`), else `nil`.
    public var errno: Int32? {
        get { fields.errno }
        set { unique().errno = newValue }
    }
    /// The system call that failed (`connect`, `listen`, `read`, `write`, `getaddrinfo`…).
    public var syscall: String? {
        get { fields.syscall }
        set { unique().syscall = newValue }
    }
    /// The remote (or listening) address involved, when known.
    public var address: String? {
        get { fields.address }
        set { unique().address = newValue }
    }
    /// The port involved, when known.
    public var port: Int? {
        get { fields.port }
        set { unique().port = newValue }
    }
    /// The local address of a failed connect that bound one.
    public var localAddress: String? {
        get { fields.localAddress }
        set { unique().localAddress = newValue }
    }
    /// The local port of a failed connect that bound one.
    public var localPort: Int? {
        get { fields.localPort }
        set { unique().localPort = newValue }
    }
    /// The host name of a failed lookup.
    public var hostname: String? {
        get { fields.hostname }
        set { unique().hostname = newValue }
    }
    /// Node's error class name: `Error`, `TypeError`, `RangeError` or `AggregateError`.
    public var name: String {
        get { fields.name }
        set { unique().name = newValue }
    }
    /// The errors of every attempt, for an aggregate error (happy eyeballs); empty otherwise.
    public var errors: [NetError] {
        get { fields.errors }
        set { unique().errors = newValue }
    }

    /// Creates an error with a code and a message; the other fields are left empty.
    public init(code: Code, message: String, name: String = "Error") {
        fields = Fields(code: code, message: message, name: name)
    }

    /// The box, copied first when another error shares it.
    private mutating func unique() -> Fields {
        if !isKnownUniquelyReferenced(&fields) { fields = fields.copy() }
        return fields
    }

    /// Errors are equal when every field is.
    public static func == (a: NetError, b: NetError) -> Bool {
        a.fields === b.fields || a.fields.isEqual(to: b.fields)
    }

    /// `Name [code]: message`, the way Node prints an error.
    public var description: String {
        if code.rawValue.hasPrefix("ERR_") { return "\(name) [\(code.rawValue)]: \(message)" }
        return "\(name): \(message)"
    }

    /// An error code: Node's `code` string, comparable with the static members
    /// (`error.code == .ECONNREFUSED`).
    public struct Code: RawRepresentable, Hashable, Sendable, ExpressibleByStringLiteral,
        CustomStringConvertible
    {
        /// The code as Node spells it.
        public let rawValue: String
        /// Wraps a code string.
        public init(rawValue: String) { self.rawValue = rawValue }
        /// Wraps a code string literal.
        public init(stringLiteral value: String) { self.rawValue = value }
        /// The code as Node spells it.
        public var description: String { rawValue }
    }
}

// MARK: - System errors

extension NetError {
    /// The libuv name of an error number (`ECONNREFUSED`), without the leak of `uv_err_name`.
    static func uvName(_ status: Int32) -> String {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 64) { buf in
            _ = uv_err_name_r(status, buf.baseAddress, 64)
            return String(cString: buf.baseAddress!)
        }
    }

    /// The libuv description of an error number (`connection refused`).
    static func uvMessage(_ status: Int32) -> String {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 128) { buf in
            _ = uv_strerror_r(status, buf.baseAddress, 128)
            return String(cString: buf.baseAddress!)
        }
    }

    /// Node's `errnoException`: `syscall CODE`, as for `read ECONNRESET`.
    static func errno(_ status: Int32, syscall: String) -> NetError {
        var e = NetError(code: Code(rawValue: uvName(status)), message: "\(syscall) \(uvName(status))")
        e.errno = status
        e.syscall = syscall
        return e
    }

    /// Node's `exceptionWithHostPort`: `connect ECONNREFUSED 127.0.0.1:4000`, with
    /// ` - Local (addr:port)` when a local address and port were bound.
    static func withHostPort(
        _ status: Int32, syscall: String, address: String?, port: Int?,
        localAddress: String? = nil, localPort: Int? = nil
    ) -> NetError {
        var e = errno(status, syscall: syscall)
        e.message += hostPortDetails(address: address, port: port)
        if let la = localAddress, let lp = localPort, lp > 0 {
            e.message += " - Local (\(la):\(lp))"
            e.localAddress = la
            e.localPort = lp
        }
        e.address = address
        // Node's `if (port) this.port = port`: port 0 is not reported.
        e.port = port == 0 ? nil : port
        return e
    }

    /// Node's `uvExceptionWithHostPort`: `listen EADDRINUSE: address already in use :::8124`.
    static func uvWithHostPort(_ status: Int32, syscall: String, address: String?, port: Int?) -> NetError {
        var e = errno(status, syscall: syscall)
        e.message = "\(syscall) \(uvName(status)): \(uvMessage(status))"
            + hostPortDetails(address: address, port: port)
        e.address = address
        // Node's `if (port) this.port = port`: port 0 is not reported.
        e.port = port == 0 ? nil : port
        return e
    }

    /// Node's lookup failure: `getaddrinfo ENOTFOUND host`, with `hostname` and no address/port.
    static func lookup(_ status: Int32, hostname: String) -> NetError {
        let name = uvName(status)
        let code = (name == "EAI_NONAME" || name == "EAI_NODATA") ? "ENOTFOUND" : name
        var e = NetError(code: Code(rawValue: code), message: "getaddrinfo \(code) \(hostname)")
        e.errno = status
        e.syscall = "getaddrinfo"
        e.hostname = hostname
        return e
    }

    private static func hostPortDetails(address: String?, port: Int?) -> String {
        if let port, port > 0 { return " \(address ?? ""):\(port)" }
        if let address { return " \(address)" }
        return ""
    }
}

// MARK: - Codes

extension NetError.Code {
    /// Connection refused by the peer.
    public static let ECONNREFUSED: Self = "ECONNREFUSED"
    /// Connection reset by the peer.
    public static let ECONNRESET: Self = "ECONNRESET"
    /// Address already in use.
    public static let EADDRINUSE: Self = "EADDRINUSE"
    /// Address not available on this host.
    public static let EADDRNOTAVAIL: Self = "EADDRNOTAVAIL"
    /// Broken pipe: writing to a connection the peer has ended.
    public static let EPIPE: Self = "EPIPE"
    /// Invalid argument.
    public static let EINVAL: Self = "EINVAL"
    /// No such file or directory.
    public static let ENOENT: Self = "ENOENT"
    /// Permission denied.
    public static let EACCES: Self = "EACCES"
    /// Operation timed out.
    public static let ETIMEDOUT: Self = "ETIMEDOUT"
    /// Too many open files.
    public static let EMFILE: Self = "EMFILE"
    /// Host name not found.
    public static let ENOTFOUND: Self = "ENOTFOUND"
    /// A port outside 0…65535.
    public static let ERR_SOCKET_BAD_PORT: Self = "ERR_SOCKET_BAD_PORT"
    /// `listen` on a server that is already listening.
    public static let ERR_SERVER_ALREADY_LISTEN: Self = "ERR_SERVER_ALREADY_LISTEN"
    /// `close` on a server that was not listening.
    public static let ERR_SERVER_NOT_RUNNING: Self = "ERR_SERVER_NOT_RUNNING"
    /// `write` after `end()`.
    public static let ERR_STREAM_WRITE_AFTER_END: Self = "ERR_STREAM_WRITE_AFTER_END"
    /// `write` after `destroy()`.
    public static let ERR_STREAM_DESTROYED: Self = "ERR_STREAM_DESTROYED"
    /// A write queued while connecting, on a socket destroyed before it connected.
    public static let ERR_SOCKET_CLOSED_BEFORE_CONNECTION: Self = "ERR_SOCKET_CLOSED_BEFORE_CONNECTION"
    /// An operation on a socket whose handle is gone.
    public static let ERR_SOCKET_CLOSED: Self = "ERR_SOCKET_CLOSED"
    /// An argument outside its allowed range.
    public static let ERR_OUT_OF_RANGE: Self = "ERR_OUT_OF_RANGE"
    /// An argument whose value is not allowed.
    public static let ERR_INVALID_ARG_VALUE: Self = "ERR_INVALID_ARG_VALUE"
    /// An argument of the wrong kind.
    public static let ERR_INVALID_ARG_TYPE: Self = "ERR_INVALID_ARG_TYPE"
    /// A call missing the arguments it needs.
    public static let ERR_MISSING_ARGS: Self = "ERR_MISSING_ARGS"
    /// A string that is not an IP address where one is needed.
    public static let ERR_INVALID_IP_ADDRESS: Self = "ERR_INVALID_IP_ADDRESS"
    /// An address family other than 4 or 6.
    public static let ERR_INVALID_ADDRESS_FAMILY: Self = "ERR_INVALID_ADDRESS_FAMILY"
    /// An unknown buffer encoding name.
    public static let ERR_UNKNOWN_ENCODING: Self = "ERR_UNKNOWN_ENCODING"
    /// An address refused by a `BlockList`.
    public static let ERR_IP_BLOCKED: Self = "ERR_IP_BLOCKED"
    /// A socket address that cannot be parsed.
    public static let ERR_INVALID_ADDRESS: Self = "ERR_INVALID_ADDRESS"
    /// A descriptor that is neither a TCP nor a Unix stream socket (`Unsupported fd type: FILE`).
    public static let ERR_INVALID_FD_TYPE: Self = "ERR_INVALID_FD_TYPE"
}

// MARK: - Argument errors

extension NetError {
    /// `ERR_SOCKET_BAD_PORT` as Node words it: `Port should be >= 0 and < 65536. Received type number (70000).`
    public static func badPort(_ port: Int, name: String = "Port") -> NetError {
        NetError(
            code: .ERR_SOCKET_BAD_PORT,
            message: "\(name) should be >= 0 and < 65536. Received type number (\(port)).",
            name: "RangeError")
    }

    /// `ERR_OUT_OF_RANGE`: `The value of "name" is out of range. It must be RANGE. Received VALUE`.
    public static func outOfRange(_ name: String, range: String, received: String) -> NetError {
        NetError(
            code: .ERR_OUT_OF_RANGE,
            message: "The value of \"\(name)\" is out of range. It must be \(range). Received \(received)",
            name: "RangeError")
    }

    /// `ERR_OUT_OF_RANGE` for an integer, with Node's rendering of the received value
    /// (`4_294_967_297`: underscores group the digits of integers beyond 2^32).
    package static func outOfRange(_ name: String, range: String, integer: Int) -> NetError {
        outOfRange(name, range: range, received: nodeInteger(integer))
    }

    /// Node's `addNumericalSeparator` for integers whose magnitude exceeds 2^32.
    package static func nodeInteger(_ value: Int) -> String {
        let text = String(value)
        guard value.magnitude > (1 << 32) else { return text }
        let negative = value < 0
        let digits = Array(negative ? text.dropFirst() : Substring(text))
        var out = ""
        for (i, d) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append("_") }
            out.append(d)
        }
        return negative ? "-" + out : out
    }

    /// `ERR_INVALID_ARG_VALUE`: `The argument 'name' is invalid. Received VALUE` (or Node's other
    /// wording given as `reason`).
    public static func invalidArgValue(_ name: String, _ value: String, reason: String = "is invalid") -> NetError {
        let kind = name.contains(".") ? "property" : "argument"
        return NetError(
            code: .ERR_INVALID_ARG_VALUE,
            message: "The \(kind) '\(name)' \(reason). Received \(value)",
            name: "TypeError")
    }
}

extension NetError {
    /// The fields of one error. `@unchecked Sendable`: a box is changed only through
    /// `NetError.unique()`, that is while one error alone holds it, so a box that two errors
    /// (or two threads) share is never written.
    final class Fields: @unchecked Sendable {
        var code: Code
        var message: String
        var errno: Int32? = nil
        var syscall: String? = nil
        var address: String? = nil
        var port: Int? = nil
        var localAddress: String? = nil
        var localPort: Int? = nil
        var hostname: String? = nil
        var name: String
        var errors: [NetError] = []

        init(code: Code, message: String, name: String) {
            self.code = code
            self.message = message
            self.name = name
        }

        func copy() -> Fields {
            let c = Fields(code: code, message: message, name: name)
            c.errno = errno
            c.syscall = syscall
            c.address = address
            c.port = port
            c.localAddress = localAddress
            c.localPort = localPort
            c.hostname = hostname
            c.errors = errors
            return c
        }

        func isEqual(to o: Fields) -> Bool {
            code == o.code && message == o.message && errno == o.errno && syscall == o.syscall
                && address == o.address && port == o.port && localAddress == o.localAddress
                && localPort == o.localPort && hostname == o.hostname && name == o.name && errors == o.errors
        }
    }
}
