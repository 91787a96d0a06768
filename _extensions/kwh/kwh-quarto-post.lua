--[[
Pandoc Lua filter of the kwh-typst Quarto format (runs after Quarto's own filters, just before
the Typst writer); the built-in engine does not use it.

* Notebook cells and their outputs arrive as Divs (.cell, .cell-output-display, ...), which
  the Typst writer turns into #block[...] containers: a raw #pagebreak() inside one is a Typst
  error, and a sticky intro block could not reach the table in the next container. The cell
  Divs are unwrapped, so the body is one flat flow as in the built-in engine.
]]

local function is_cell_div(div)
  for _, class in ipairs(div.classes) do
    if class == "cell" or class:match("^cell%-output") then
      return true
    end
  end
  return false
end

function Div(div)
  if is_cell_div(div) and div.identifier == "" then
    return div.content
  end
  return nil
end
