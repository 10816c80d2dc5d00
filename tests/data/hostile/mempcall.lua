scenario { id = "hostile-mempcall", covers = { "FO-503" }, summary = "A hostile scenario: the harness must stop it cleanly." }
local t = {}
while true do pcall(function() t[#t + 1] = string.rep("y", 1e7) .. #t end) end
