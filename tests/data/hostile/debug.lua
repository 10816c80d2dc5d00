scenario { id = "hostile-debug", covers = { "FO-503" }, summary = "A hostile scenario: the harness must stop it cleanly." }
debug.sethook()
