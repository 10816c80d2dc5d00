scenario { id = "b", covers = { "FO-503" }, summary = "coverage fixture" }
