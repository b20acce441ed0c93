// swift-tools-version:6.0
// libFuzzer targets for swift-net, in a package of their own so that the main package's
// `swift build` and `make test` never see them: they are only ever built with
// `-sanitize=fuzzer,address -parse-as-library` (see run.sh and RELIABILITY.md).
import PackageDescription

let package = Package(
    name: "swift-net-fuzz",
    dependencies: [.package(name: "swift-net", path: "..")],
    targets: [
        .target(name: "FuzzSupport"),
        .executableTarget(name: "FuzzIsIP", dependencies: ["FuzzSupport", .product(name: "NetExtras", package: "swift-net")]),
        .executableTarget(name: "FuzzSocketAddress", dependencies: ["FuzzSupport", .product(name: "NetExtras", package: "swift-net")]),
        .executableTarget(name: "FuzzBlockList", dependencies: ["FuzzSupport", .product(name: "NetExtras", package: "swift-net")]),
        .executableTarget(name: "FuzzBufferDecode", dependencies: ["FuzzSupport", .product(name: "NetCore", package: "swift-net")]),
        .executableTarget(name: "FuzzStringDecoder", dependencies: ["FuzzSupport", .product(name: "NetCore", package: "swift-net")]),
        .executableTarget(name: "FuzzProxyHeader", dependencies: ["FuzzSupport", .product(name: "NetCore", package: "swift-net")]),
    ],
    swiftLanguageModes: [.v6]
)
