// NetExtras: the policy parts of Node's `net` module: `isIP`/`isIPv4`/`isIPv6` (IsIP.swift),
// `SocketAddress` (SocketAddress.swift, SocketAddress+Parse.swift), `BlockList` (BlockList.swift,
// BlockListRule.swift, IPAddress+Order.swift for how rules compare NetCore's `IPAddress` values),
// and happy eyeballs (`autoSelectFamily`): the address order
// (AddressOrder.swift), the state machine (HappyEyeballs.swift), its driver on a socket
// (HappyEyeballsDriver.swift) and the connect strategy with the process defaults
// (AutoSelectFamily.swift), which the `Net` module supplies.
import NetCore
