scenario { id = "c", covers = { "TXN-ONCE" }, summary = "x" }
this is not lua
