// The umbrella module: `import Net` gives the whole of Node's `net` API.
@_exported import NetCore
@_exported import NetExtras
