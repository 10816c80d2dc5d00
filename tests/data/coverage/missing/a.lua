scenario { id = "a", covers = { "TXN-ONCE" }, summary = "coverage fixture" }
