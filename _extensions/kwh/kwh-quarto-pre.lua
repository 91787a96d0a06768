--[[
Pandoc Lua filter of the kwh-typst Quarto format, run before Quarto's own filters (pre-ast:
a table inside a Quarto float is out of reach of later filters). The counterpart of
kwh-builtin.lua, so that both engines typeset the same Markdown the same way.

* Tables get automatic column widths (kwh-tables.lua, shared with the built-in engine).
* Quarto's Typst output drops the caption of a table that has no cross-reference label
  (quarto-cli#11733). A captioned table without a label gets one (tbl-kwh-1, tbl-kwh-2, ...),
  so that it is numbered and captioned "Tabel n. ..." as in the built-in engine.
* Every image has alt text (PDF/UA-1 refuses one without): its fig-alt, else its caption,
  else "Grafiek" (a chart an analyst displays without caption).
* A bare "@word" that is no cross-reference stays text, and "<x>" that is no HTML tag too
  (kwh-literal.lua): Typst would fail on a citation without bibliography, and drop the tag.
]]

local here = pandoc.path.directory(PANDOC_SCRIPT_FILE)
local auto_widths = dofile(pandoc.path.join({ here, "kwh-tables.lua" }))
local literal = dofile(pandoc.path.join({ here, "kwh-literal.lua" }))
local count = 0

local function table_label(tbl)
  tbl = auto_widths(tbl)
  if tbl.identifier == "" and #tbl.caption.long > 0 then
    count = count + 1
    tbl.identifier = "tbl-kwh-" .. count
  end
  return tbl
end

local function image_alt(img)
  if img.attributes["fig-alt"] == nil then
    local text = pandoc.utils.stringify(img.caption)
    img.attributes["fig-alt"] = text ~= "" and text or "Grafiek"
    return img
  end
  return nil
end

function Pandoc(doc)
  doc = doc:walk({ Table = table_label, RawInline = literal.raw_inline, Image = image_alt })
  local labels = literal.labels(doc)
  return doc:walk({
    Cite = function(el)
      if literal.cite_is_literal(el, labels) then
        return el.content
      end
      return nil
    end,
  })
end
