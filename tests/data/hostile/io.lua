scenario { id = "hostile-io", covers = { "FO-503" }, summary = "Reaches for io." }
io.open("/etc/passwd")
