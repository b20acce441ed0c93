print("net-bench: not built yet")
