// The entry point: SwiftPM links an executable with `main` bound to `FuzzProxyHeader_main` (it expects
// top-level code), which hands over to libFuzzer's driver.
import FuzzSupport

@_cdecl("FuzzProxyHeader_main")
public func fuzzerMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runFuzzer(argc, argv) { data, size in testOneInput(UnsafeBufferPointer(start: data, count: size)) }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    testOneInput(UnsafeBufferPointer(start: data, count: size))
}
