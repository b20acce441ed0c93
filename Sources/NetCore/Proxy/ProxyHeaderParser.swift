/// Reads a PROXY protocol header (HAProxy's `proxy-protocol.txt`, versions 1 and 2) from the
/// first bytes of a connection: a pure value with no I/O, given every byte received so far.
///
/// `parse` answers one of three things: more bytes are needed (what came so far is a valid
/// beginning), a header of `length` bytes was read (the connection's own data starts right after
/// it), or the bytes are not an acceptable header (with the reason). A v1 line is at most 107
/// bytes; a v2 header is its 16-byte head plus the length it announces, refused past
/// `maxLength`. v2 TLVs are skipped; v2 `LOCAL`, v1 `UNKNOWN` and families other than IPv4 and
/// IPv6 give a header without addresses.
public struct ProxyHeaderParser: Sendable {
    /// The versions taken.
    public var versions: ProxyProtocolVersions
    /// The longest header taken, in bytes (v2 headers with large TLVs); at least 232, the
    /// longest header without TLVs.
    public var maxLength: Int

    /// The longest v1 line, CRLF included.
    public static let v1MaxLength = 107
    /// The default `maxLength`.
    public static let defaultMaxLength = 4096

    /// Creates a parser for `versions`, refusing headers longer than `maxLength` bytes.
    public init(versions: ProxyProtocolVersions = .either, maxLength: Int = ProxyHeaderParser.defaultMaxLength) {
        self.versions = versions
        self.maxLength = Swift.max(232, maxLength)
    }

    /// What `parse` found.
    public enum Outcome: Sendable, Equatable {
        /// The bytes are a valid beginning: wait for at least `atLeast` bytes in all.
        case needMore(atLeast: Int)
        /// A header, `length` bytes long; the connection's data starts after it.
        case header(ProxyHeader, length: Int)
        /// Not an acceptable header.
        case failed(ProxyHeaderError)
    }

    /// Parses the beginning of a connection.
    public func parse(_ bytes: some Collection<UInt8>) -> Outcome {
        if let outcome = bytes.withContiguousStorageIfAvailable({ parse(UnsafeRawBufferPointer($0)) }) { return outcome }
        return Array(bytes).withUnsafeBytes { parse($0) }
    }

    /// Parses the beginning of a connection, from raw memory.
    public func parse(_ bytes: UnsafeRawBufferPointer) -> Outcome {
        guard let first = bytes.first else { return .needMore(atLeast: 1) }
        if first == UInt8(ascii: "P") {
            guard versions.contains(.v1) else { return .failed(.versionNotAccepted(.v1)) }
            return parseV1(bytes)
        }
        if first == 0x0D {
            guard versions.contains(.v2) else { return .failed(.versionNotAccepted(.v2)) }
            return parseV2(bytes)
        }
        return .failed(.missing)
    }

    // MARK: Version 1

    private static let v1Prefix = Array("PROXY ".utf8)

    private func parseV1(_ bytes: UnsafeRawBufferPointer) -> Outcome {
        let prefix = ProxyHeaderParser.v1Prefix
        for i in 0..<Swift.min(prefix.count, bytes.count) where bytes[i] != prefix[i] { return .failed(.missing) }
        let limit = Swift.min(bytes.count, ProxyHeaderParser.v1MaxLength)
        var lf: Int?
        for i in 0..<limit where bytes[i] == 0x0A {
            lf = i
            break
        }
        guard let lf else {
            if bytes.count >= ProxyHeaderParser.v1MaxLength { return .failed(.tooLong(limit: ProxyHeaderParser.v1MaxLength)) }
            return .needMore(atLeast: bytes.count + 1)
        }
        guard lf >= prefix.count, bytes[lf - 1] == 0x0D else { return .failed(.malformed("v1 line does not end with CRLF")) }
        let line = UnsafeRawBufferPointer(rebasing: bytes[prefix.count..<(lf - 1)])
        let fields = line.split(separator: 0x20, omittingEmptySubsequences: false)
        let length = lf + 1
        guard let proto = fields.first.map({ String(decoding: $0, as: UTF8.self) }) else {
            return .failed(.malformed("v1 line has no protocol"))
        }
        if proto == "UNKNOWN" { return .header(ProxyHeader(version: .v1), length: length) }
        guard proto == "TCP4" || proto == "TCP6" else { return .failed(.malformed("v1 protocol \(proto.debugDescription) is not TCP4, TCP6 or UNKNOWN")) }
        guard fields.count == 5 else { return .failed(.malformed("v1 \(proto) line needs 4 fields after the protocol, has \(fields.count - 1)")) }
        let wantV6 = proto == "TCP6"
        guard let src = ProxyHeaderParser.v1Address(fields[1], v6: wantV6),
              let dst = ProxyHeaderParser.v1Address(fields[2], v6: wantV6) else {
            return .failed(.malformed("v1 \(proto) addresses are not \(wantV6 ? "IPv6" : "IPv4") addresses"))
        }
        guard let sport = ProxyHeaderParser.v1Port(fields[3]), let dport = ProxyHeaderParser.v1Port(fields[4]) else {
            return .failed(.malformed("v1 ports are not numbers in 0...65535"))
        }
        return .header(
            ProxyHeader(version: .v1, source: ProxyEndpoint(address: src, port: sport),
                        destination: ProxyEndpoint(address: dst, port: dport)),
            length: length)
    }

    private static func v1Address(_ field: Slice<UnsafeRawBufferPointer>, v6: Bool) -> IPAddress? {
        guard !field.isEmpty, field.count <= 45 else { return nil }
        // Only address characters: no zone id, no spaces.
        for c in field {
            let ok = (c >= 0x30 && c <= 0x39) || c == UInt8(ascii: ".") || (v6 && (c == UInt8(ascii: ":")
                || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66)))
            if !ok { return nil }
        }
        guard let a = IPAddress(String(decoding: field, as: UTF8.self)), a.isIPv6 == v6 else { return nil }
        return a
    }

    private static func v1Port(_ field: Slice<UnsafeRawBufferPointer>) -> Int? {
        guard !field.isEmpty, field.count <= 5 else { return nil }
        // No leading zeros (but "0" itself), as the spec writes ports.
        if field.count > 1, field.first == 0x30 { return nil }
        var v = 0
        for c in field {
            guard c >= 0x30 && c <= 0x39 else { return nil }
            v = v * 10 + Int(c - 0x30)
        }
        return v <= 65535 ? v : nil
    }

    // MARK: Version 2

    private func parseV2(_ bytes: UnsafeRawBufferPointer) -> Outcome {
        let signature = ProxyHeader.v2Signature
        for i in 0..<Swift.min(signature.count, bytes.count) where bytes[i] != signature[i] { return .failed(.missing) }
        guard bytes.count >= 16 else { return .needMore(atLeast: 16) }
        let verCmd = bytes[12], famProto = bytes[13]
        guard verCmd >> 4 == 2 else { return .failed(.malformed("v2 version \(verCmd >> 4) is not 2")) }
        let command = verCmd & 0x0F
        guard command <= 1 else { return .failed(.malformed("v2 command \(command) is neither LOCAL nor PROXY")) }
        let family = famProto >> 4, transport = famProto & 0x0F
        guard family <= 3, transport <= 2 else { return .failed(.malformed("v2 family/transport 0x\(String(famProto, radix: 16)) is unknown")) }
        let declared = Int(bytes[14]) << 8 | Int(bytes[15])
        let length = 16 + declared
        guard length <= maxLength else { return .failed(.tooLong(limit: maxLength)) }
        let needed = [0, 12, 36, 216][Int(family)]
        guard declared >= needed else { return .failed(.malformed("v2 address block of \(declared) bytes is too short for its family")) }
        guard bytes.count >= length else { return .needMore(atLeast: length) }
        // LOCAL: the proxy's own connection (a health check); UNSPEC and UNIX: nothing to report.
        guard command == 1, family == 1 || family == 2 else { return .header(ProxyHeader(version: .v2), length: length) }
        let body = UnsafeRawBufferPointer(rebasing: bytes[16..<length])
        let src: IPAddress, dst: IPAddress, portsAt: Int
        if family == 1 {
            src = IPAddress(ipv4: ProxyHeaderParser.word(body, 0))
            dst = IPAddress(ipv4: ProxyHeaderParser.word(body, 4))
            portsAt = 8
        } else {
            src = IPAddress(ipv6High: ProxyHeaderParser.long(body, 0), low: ProxyHeaderParser.long(body, 8))
            dst = IPAddress(ipv6High: ProxyHeaderParser.long(body, 16), low: ProxyHeaderParser.long(body, 24))
            portsAt = 32
        }
        let sport = Int(body[portsAt]) << 8 | Int(body[portsAt + 1])
        let dport = Int(body[portsAt + 2]) << 8 | Int(body[portsAt + 3])
        return .header(
            ProxyHeader(version: .v2, source: ProxyEndpoint(address: src, port: sport),
                        destination: ProxyEndpoint(address: dst, port: dport)),
            length: length)
    }

    private static func word(_ b: UnsafeRawBufferPointer, _ at: Int) -> UInt32 {
        (0..<4).reduce(UInt32(0)) { $0 << 8 | UInt32(b[at + $1]) }
    }

    private static func long(_ b: UnsafeRawBufferPointer, _ at: Int) -> UInt64 {
        (0..<8).reduce(UInt64(0)) { $0 << 8 | UInt64(b[at + $1]) }
    }
}

/// Which PROXY protocol versions a server takes.
public struct ProxyProtocolVersions: OptionSet, Sendable, Hashable {
    /// The option bits.
    public let rawValue: UInt8
    /// Creates a set from its bits.
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    /// Version 1 (text).
    public static let v1 = ProxyProtocolVersions(rawValue: 1)
    /// Version 2 (binary).
    public static let v2 = ProxyProtocolVersions(rawValue: 2)
    /// Either version, told apart by the first byte.
    public static let either: ProxyProtocolVersions = [.v1, .v2]
}

/// Why a connection's first bytes are not an acceptable PROXY protocol header.
public enum ProxyHeaderError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The connection does not start with a PROXY protocol signature.
    case missing
    /// A header of a version the server does not take.
    case versionNotAccepted(ProxyHeader.Version)
    /// A header that breaks the protocol, and how.
    case malformed(String)
    /// A header longer than the limit.
    case tooLong(limit: Int)

    /// A sentence saying what is wrong.
    public var description: String {
        switch self {
        case .missing: return "connection does not start with a PROXY protocol header"
        case .versionNotAccepted(let v): return "PROXY protocol \(v) header is not accepted"
        case .malformed(let why): return "malformed PROXY protocol header: \(why)"
        case .tooLong(let limit): return "PROXY protocol header longer than \(limit) bytes"
        }
    }
}
