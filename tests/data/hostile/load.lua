scenario { id = "hostile-load", covers = { "FO-503" }, summary = "A hostile scenario: the harness must stop it cleanly." }
local f = load("return 1")
