scenario { id = "hostile-mem", covers = { "FO-503" }, summary = "A hostile scenario: the harness must stop it cleanly." }
local t = {}
for i = 1, 1e9 do t[i] = string.rep("x", 1e6) .. i end
