import NetCore

// The argument errors NetExtras throws, worded as Node words them.
extension NetError {
    /// `ERR_INVALID_ADDRESS`: `Invalid socket address`, what Node's native `SocketAddress`
    /// throws for text that is not an address of the requested family.
    static func invalidAddress() -> NetError {
        NetError(code: .ERR_INVALID_ADDRESS, message: "Invalid socket address", name: "Error")
    }
}
