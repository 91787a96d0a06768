--[[
The built-in render engine's pandoc step for many documents in one pandoc process
(kwh_calc.rendering.render, issue 13); Quarto does not use it.

Run as `pandoc lua kwh-builtin-server.lua TEMPLATE`. Each line on stdin is a JSON request
{"input", "metadata", "output", "shift", "filter"} (paths; "filter" may be ""); each line on
stdout the JSON reply {"warnings": [...]} or {"error": "...", "warnings": [...]}.

A pandoc process per document spent most of its time starting (the runtime, its 64 MB heap,
the template, the Lua engine) rather than converting. This does, per request, what

  pandoc INPUT --from=markdown --to=typst --wrap=preserve --columns=100000
         --template=TEMPLATE --metadata-file=METADATA --output=OUTPUT
         [--shift-heading-level-by=SHIFT] [--lua-filter=FILTER]

does, in the same order (read, metadata file under the document's own metadata, heading
shift, filter, write), so that the Typst text is byte-identical (tests/test_render.py compares
the two). Warnings are reported as the command prints them.
]]

local json = pandoc.json

local template_path = arg[1]
local template_file = assert(io.open(template_path, "r"))
local template = pandoc.template.compile(template_file:read("a"), template_path)
template_file:close()

-- --columns reaches the reader too: pipe tables keep automatic column widths.
local reader_options = pandoc.ReaderOptions({ columns = 100000, standalone = true })
local writer_options = { template = template, columns = 100000, wrap_text = "wrap-preserve" }

local function read_file(path)
  local fh = assert(io.open(path, "rb"))
  local text = fh:read("a")
  fh:close()
  return text
end

-- pandoc's headerShift (Text.Pandoc.Shared): with a negative shift a leading heading that
-- would reach level 0 becomes the title; other such headings become paragraphs.
local function shift_headings(doc, n)
  local first = doc.blocks[1]
  if n < 0 and first and first.t == "Header" and first.level + n == 0 then
    doc.meta.title = pandoc.MetaInlines(first.content)
    doc.blocks:remove(1)
    return shift_headings(doc, n)
  end
  doc.blocks = doc.blocks:walk({
    Header = function(h)
      if h.level + n > 0 then
        h.level = h.level + n
        return h
      end
      return pandoc.Para(h.content)
    end,
  })
  return doc
end

-- Loaded afresh for every document, as a pandoc run would: no filter state carries over.
local function run_filter(path, doc)
  local env = setmetatable({ PANDOC_SCRIPT_FILE = path }, { __index = _G })
  local outer = PANDOC_SCRIPT_FILE
  PANDOC_SCRIPT_FILE = path -- for the modules the filter loads with dofile
  local ok, returned = pcall(assert(loadfile(path, "t", env)))
  PANDOC_SCRIPT_FILE = outer
  if not ok then
    error(returned, 0)
  end
  for _, filter in ipairs(type(returned) == "table" and returned or { env }) do
    local functions = {}
    for name, value in pairs(filter) do
      if type(value) == "function" then
        functions[name] = value
      end
    end
    doc = doc:walk(functions)
  end
  return doc
end

local function convert(request)
  local doc = pandoc.read(read_file(request.input), "markdown", reader_options)
  local metadata = pandoc.read("---\n" .. read_file(request.metadata) .. "\n---\n", "markdown", reader_options).meta
  for key, value in pairs(metadata) do
    if doc.meta[key] == nil then -- the document's own metadata wins, as over --metadata-file
      doc.meta[key] = value
    end
  end
  local shift = math.tointeger(request.shift) or 0 -- JSON numbers arrive as floats
  if shift ~= 0 then
    doc = shift_headings(doc, shift)
  end
  if request.filter ~= "" then
    local ok, result = pcall(run_filter, request.filter, doc)
    if not ok then
      error("Error running filter " .. request.filter .. ":\n" .. tostring(result), 0)
    end
    doc = result
  end
  local out = assert(io.open(request.output, "wb"))
  out:write(pandoc.write(doc, "typst", writer_options))
  out:close()
end

-- The source name pandoc puts in a message's position when it reads a file.
local function named(message, source)
  local pretty = message.pretty
  if message.line ~= nil and (message.source or "") == "" then
    local position = string.format("line %d column %d", message.line, message.column)
    local at = pretty:find(position, 1, true)
    if at then
      pretty = pretty:sub(1, at - 1) .. source .. " " .. pretty:sub(at)
    end
  end
  return pretty
end

for line in io.lines() do
  local request = json.decode(line, false)
  local messages, ok, failure = pandoc.log.silence(pcall, convert, request)
  local warnings = {}
  for _, logged in ipairs(messages) do
    local message = json.decode(json.encode(logged)) -- its fields, as pandoc's JSON log has them
    if message.verbosity == "WARNING" or message.verbosity == "ERROR" then
      table.insert(warnings, "[" .. message.verbosity .. "] " .. named(message, request.input))
    end
  end
  local reply = { warnings = warnings }
  if not ok then
    reply.error = tostring(failure)
  end
  io.stdout:write(json.encode(reply), "\n")
  io.stdout:flush()
  -- Lua's collector runs by allocation and let a kept process grow by ≈0,1 MB per document
  -- (≈60 MB over a worker's share of the close; every tenth document still ≈0,05 MB): a full
  -- collection after each document keeps it flat, for ≈3 ms.
  collectgarbage()
end
