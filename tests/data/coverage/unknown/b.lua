scenario { id = "b", covers = { "SRV-DOT", "XX-NOPE" }, summary = "coverage fixture" }
