--[[
Pandoc Lua filter of the built-in render engine (kwh_calc.render); Quarto does not use it.

* A citation whose keys are not all labels in the document (a bare "@word" in text) is put
  back as literal text: Typst would otherwise fail on the missing label or bibliography.
  Cross-references to existing labels (@fig-scores, @tbl-respons, @sec-…) become Typst
  references ("Figuur 1").
* Raw HTML that is not a real HTML tag ("<x>", "<5 respondenten>") is kept as literal text
  instead of being dropped by the Typst writer; <br> becomes a line break; comments and
  real tags are dropped as pandoc would.
* Images carry their alt text (fig-alt) into Typst, as Quarto does: PDF/UA-1 requires it.
* Tables get automatic column widths (kwh-tables.lua, shared with Quarto, loaded here so
  that pandoc runs one filter).
]]

local auto_widths = dofile(pandoc.path.join({ pandoc.path.directory(PANDOC_SCRIPT_FILE), "kwh-tables.lua" }))

local literal = dofile(pandoc.path.join({ pandoc.path.directory(PANDOC_SCRIPT_FILE), "kwh-literal.lua" }))
-- The labels of the document being filtered, collected at its first citation: most documents
-- have none, and walking a document for its labels was most of the filter's time (issue 13).
local document, labels

local function literal_cite(el)
  labels = labels or literal.labels(document)
  if literal.cite_is_literal(el, labels) then
    return el.content
  end
  -- A cross-reference: Typst's ref ("Figuur 1"), not a citation (which needs a bibliography).
  local refs = {}
  for i, c in ipairs(el.citations) do
    if i > 1 then
      table.insert(refs, pandoc.Str(","))
      table.insert(refs, pandoc.Space())
    end
    table.insert(refs, pandoc.RawInline("typst", "#ref(<" .. c.id .. ">)"))
  end
  return refs
end

local function typst_string(text)
  return '"' .. text:gsub('\\', '\\\\'):gsub('"', '\\"') .. '"'
end

-- PDF/UA needs alt text on every image; pandoc's Typst writer drops it, Quarto writes it
-- (image(..., alt: ...)) from the fig-alt attribute. The same here.
local function image_with_alt(el)
  local alt = el.attributes["fig-alt"]
  if alt == nil then
    return nil
  end
  local args = typst_string(el.src) .. ", alt: " .. typst_string(alt)
  local width = el.attributes["width"]
  if width then
    args = args .. ", width: " .. width
  end
  return pandoc.RawInline("typst", "#box(image(" .. args .. "))")
end

function Pandoc(doc)
  document, labels = doc, nil
  local filtered =
    doc:walk({ Cite = literal_cite, RawInline = literal.raw_inline, Table = auto_widths, Image = image_with_alt })
  -- Held by this file's functions, the document would outlive its request in the kept pandoc
  -- (its memory grew by ≈0,5 MB a document).
  document, labels = nil, nil
  return filtered
end
