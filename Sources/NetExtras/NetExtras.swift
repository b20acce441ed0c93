// NetExtras: the policy parts of Node's `net` (BlockList, SocketAddress, isIP, happy eyeballs).
import NetCore
