import NetCore

// The argument errors NetExtras throws, worded as Node words them.
extension NetError {
    /// `ERR_INVALID_ADDRESS`: `Invalid socket address`, what Node's native `SocketAddress`
    /// throws for text that is not an address of the requested family.
    static func invalidAddress() -> NetError {
        NetError(code: .ERR_INVALID_ADDRESS, message: "Invalid socket address", name: "Error")
    }

    /// `ERR_OUT_OF_RANGE` for an integer, with Node's rendering of the received value
    /// (`4_294_967_297`: underscores group the digits of integers beyond 2^32).
    static func outOfRange(_ name: String, range: String, integer: Int) -> NetError {
        outOfRange(name, range: range, received: nodeInteger(integer))
    }

    /// Node's `addNumericalSeparator` for integers whose magnitude exceeds 2^32.
    static func nodeInteger(_ value: Int) -> String {
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
}
