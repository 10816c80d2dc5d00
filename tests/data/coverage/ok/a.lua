scenario { id = "a", covers = { "TXN-ONCE", "FO-503" }, summary = "coverage fixture" }
