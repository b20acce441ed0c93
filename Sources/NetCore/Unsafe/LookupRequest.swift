internal import CUV
#if canImport(Glibc)
import Glibc
#endif

/// Host name resolution through `uv_getaddrinfo` (the thread pool, like Node's `dns.lookup`).
enum Lookup {
    /// `AI_ADDRCONFIG`, which Node adds when no family is asked for.
    static let addrConfig = Int32(AI_ADDRCONFIG)

    /// Resolves `host` to its addresses, in the resolver's order. `family` is 0, 4 or 6.
    static func resolve(
        loop: EventLoop, host: String, family: Int, hints: Int32,
        _ done: @escaping (Result<[LookupAddress], NetError>) -> Void
    ) {
        let request = LookupRequest(host: host, done: done)
        var ai = addrinfo()
        ai.ai_family = family == 4 ? AF_INET : family == 6 ? AF_INET6 : AF_UNSPEC
        ai.ai_socktype = Int32(SOCK_STREAM.rawValue)
        ai.ai_flags = hints
        let unmanaged = Unmanaged.passRetained(request)
        uv_req_set_data(cuv_req(request.req), unmanaged.toOpaque())
        let r = uv_getaddrinfo(loop.uv, request.req, { req, status, res in
            guard let req else { return }
            let request = Unmanaged<LookupRequest>.fromOpaque(uv_req_get_data(cuv_req(req))!).takeRetainedValue()
            let loop = EventLoop.from(req.pointee.loop)
            var answers: [LookupAddress] = []
            var entry: UnsafePointer<addrinfo>? = res.map { UnsafePointer($0) }
            while let e = entry {
                if let sa = cuv_ai_addr(e), let (address, _) = IPAddress.endpoint(sa) {
                    answers.append(LookupAddress(address: address.withoutZone.description, family: address.family))
                }
                entry = cuv_ai_next(e)
            }
            if let res { uv_freeaddrinfo(res) }
            if status < 0 {
                request.done(.failure(.lookup(status, hostname: request.host)))
            } else if answers.isEmpty {
                request.done(.failure(.lookup(Int32(UV_EAI_NONAME.rawValue), hostname: request.host)))
            } else {
                request.done(.success(answers))
            }
            loop.drainTicks()
        }, host, nil, &ai)
        if r < 0 {
            unmanaged.release()
            let error = NetError.lookup(r, hostname: host)
            loop.nextTick { done(.failure(error)) }
        }
    }
}

/// A `uv_getaddrinfo_t` in flight.
///
/// Safety: the request object is retained for libuv from `uv_getaddrinfo` until its callback
/// (or released at once when the call fails), and owns the request's memory, freed in `deinit`.
final class LookupRequest {
    let req: UnsafeMutablePointer<uv_getaddrinfo_t> = .allocate(capacity: 1)
    let host: String
    let done: (Result<[LookupAddress], NetError>) -> Void
    init(host: String, done: @escaping (Result<[LookupAddress], NetError>) -> Void) {
        self.host = host
        self.done = done
    }
    deinit { req.deallocate() }
}
