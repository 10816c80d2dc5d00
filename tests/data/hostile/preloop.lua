while true do end
scenario { id = "hostile-preloop", covers = { "FO-503" }, summary = "Loops before declaring." }
