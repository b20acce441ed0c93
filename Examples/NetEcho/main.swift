print("net-echo: not built yet")
