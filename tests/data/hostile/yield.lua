scenario { id = "hostile-yield", covers = { "FO-503" }, summary = "A hostile scenario: the harness must stop it cleanly." }
coroutine.yield(1)
