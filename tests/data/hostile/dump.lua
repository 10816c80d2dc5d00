scenario { id = "hostile-dump", covers = { "FO-503" }, summary = "A hostile scenario: the harness must stop it cleanly." }
local f = string.dump(function() end)
