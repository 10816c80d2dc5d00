scenario { id = "hostile-loop", covers = { "FO-503" }, summary = "An endless loop that hides under pcall." }
while true do pcall(function() while true do end end) end
