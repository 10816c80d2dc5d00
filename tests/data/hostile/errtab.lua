scenario { id = "hostile-errtab", covers = { "FO-503" }, summary = "A hostile scenario: the harness must stop it cleanly." }
error({})
