--[[
Literal text for generated Markdown, shared by both engines (loaded with dofile by
kwh-builtin.lua and kwh-quarto-pre.lua; returns a table of functions).

* labels(doc): the identifiers in the document (cross-reference targets).
* raw_inline(el): raw HTML that is not a real HTML tag ("<x>", "<5 respondenten>") becomes
  literal text instead of being dropped by the Typst writer; <br> becomes a line break;
  comments and real tags are left to pandoc.
* cite_is_literal(el, labels): a citation whose keys are not all labels (a bare "@word" in
  text): the documents have no bibliography, so it is text.
]]

local M = {}

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

function M.labels(doc)
  local found = {}
  local function collect(el)
    if el.identifier ~= nil and el.identifier ~= "" then
      found[el.identifier] = true
    end
  end
  -- The elements that carry an identifier, by name: a generic Block/Inline function would hand
  -- every word of the document to Lua (most of the filter's time, issue 13).
  doc:walk({
    CodeBlock = collect, Div = collect, Figure = collect, Header = collect, Table = collect,
    Code = collect, Image = collect, Link = collect, Span = collect,
  })
  return found
end

function M.cite_is_literal(el, labels)
  for _, c in ipairs(el.citations) do
    if not labels[c.id] then
      return true
    end
  end
  return false
end

function M.raw_inline(el)
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

return M
