scenario { id = "b", covers = { "SRV-DOT", "FO-503" }, summary = "coverage fixture" }
