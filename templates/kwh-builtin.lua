--[[
Pandoc Lua filter of the built-in render engine (kwh_calc.render); Quarto does not use it.

* A citation whose keys are not all labels in the document (a bare "@word" in text) is put
  back as literal text: Typst would otherwise fail on the missing label or bibliography.
  Cross-references to existing labels (@fig-scores, @tbl-respons, @sec-…) become Typst
  references ("Figuur 1").
* Raw HTML that is not a real HTML tag ("<x>", "<5 respondenten>") is kept as literal text
  instead of being dropped by the Typst writer; <br> becomes a line break; comments and
  real tags are dropped as pandoc would.
* Tables get automatic column widths (kwh-tables.lua, shared with Quarto, loaded here so
  that pandoc runs one filter).
]]

dofile(pandoc.path.join({ pandoc.path.directory(PANDOC_SCRIPT_FILE), "kwh-tables.lua" }))

local labels = {}

local known_tags = {}
for _, name in ipairs({
  "a", "abbr", "b", "big", "blockquote", "br", "center", "code", "del", "div", "em", "font",
  "hr", "i", "img", "ins", "kbd", "mark", "p", "pre", "q", "s", "small", "span", "strike",
  "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "tt", "u", "ul",
  "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6", "style", "script", "iframe", "details",
  "summary", "section", "figure", "figcaption", "caption", "col", "colgroup", "wbr",
}) do
  known_tags[name] = true
end

local function collect(el)
  if el.identifier ~= nil and el.identifier ~= "" then
    labels[el.identifier] = true
  end
end

local function literal_cite(el)
  for _, c in ipairs(el.citations) do
    if not labels[c.id] then
      return el.content
    end
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

local function raw_inline(el)
  if el.format ~= "html" then
    return nil
  end
  local text = el.text
  if text:match("^<!%-%-") then
    return {}
  end
  if text:lower():match("^<br%s*/?>$") then
    return pandoc.LineBreak()
  end
  local name = text:match("^</?([%a][%w]*)")
  if name and known_tags[name:lower()] then
    return nil
  end
  return pandoc.Str(text)
end

function Pandoc(doc)
  doc:walk({ Block = collect, Inline = collect })
  return doc:walk({ Cite = literal_cite, RawInline = raw_inline, Table = Table })
end
