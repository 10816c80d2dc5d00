scenario { id = "seed", covers = { "FO-503" }, summary = "seed" }
