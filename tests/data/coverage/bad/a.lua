scenario { id = "a", covers = { "TXN-ONCE", "FO-503", "SRV-DOT" }, summary = "coverage fixture" }
