import Testing
import NetExtras
import NetCore

@Suite struct NetExtrasModuleTests {
    @Test func moduleLinksAgainstNetCore() {
        #expect(NetError.Code.ERR_IP_BLOCKED.rawValue == "ERR_IP_BLOCKED")
    }
}
