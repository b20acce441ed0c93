// NetExtras: the pure, policy parts of Node's `net` module that need no event loop:
// `isIP`/`isIPv4`/`isIPv6` (IsIP.swift), `SocketAddress` (SocketAddress.swift,
// SocketAddress+Parse.swift) and `BlockList` (BlockList.swift, BlockListRule.swift).
