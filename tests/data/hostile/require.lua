scenario { id = "hostile-require", covers = { "FO-503" }, summary = "Reaches for require." }
require("os")
