/**
 * The Lua side of Conquest's scripting environment, run once in each Lua state (lua-engine.ts gives it the `__`
 * functions it closes over and then removes them from the globals). Conquest embeds Lua 5.1; the VM here is 5.4, so the
 * 5.1 names Conquest's scripts use are provided (`unpack`, `table.getn`, `loadstring`, `math.pow`, `math.mod`,
 * `string.gfind`). What would reach outside the archive is taken away: `os.execute/rename/exit/getenv/tmpname`,
 * `loadfile`, `package`, `debug`, `collectgarbage`; Lua's own `io` is replaced by one on text files inside the data
 * folder (as os.remove); `dofile` and `require` read Lua files from beside dicom.ini only (require once per run).
 */
export const LUA_PRELUDE = String.raw`
unpack = unpack or table.unpack
table.getn = table.getn or function(t) return #t end
loadstring = loadstring or function(s, name) return load(s, name) end
math.pow = math.pow or function(a, b) return a ^ b end
math.mod = math.mod or math.fmod
string.gfind = string.gfind or string.gmatch
io = nil
os.execute, os.remove, os.rename, os.exit, os.getenv, os.tmpname = nil, nil, nil, nil, nil, nil
dofile, loadfile, require, package, debug, collectgarbage = nil, nil, nil, nil, nil, nil

-- A JS function's error is raised again at the script's line (level 3: the caller of the function that called it).
local function checked(f)
  return function(...)
    local ok, r = pcall(f, ...)
    if not ok then error((tostring(r):gsub('^Error: ', '')), 3) end
    return r
  end
end
local get, set, count, delete_item, list_items, get_bytes, set_bytes, run_script, log, dict =
  checked(__get), checked(__set), checked(__count), checked(__delete_item), checked(__list_items),
  checked(__get_bytes), checked(__set_bytes), checked(__script), __log, checked(__dictionary)
local script_file, file_op = checked(__script_file), __io

-- io, on files inside the data folder only (lua-engine.ts's fileOp): io.open(name, 'r'|'w'|'a'), a file's :read('*a'|
-- '*l'|'*n'), :lines(), :write(...), :close(); io.lines(name); io.write (to the log). os.remove the same way.
local function io_error(err) return (tostring(err):gsub('^Error: ', '')) end
-- Binary files ('rb', 'wb') cross to the archive as one character per byte (code 1..255; a NUL as 256, since a string
-- ends at a NUL on the way), as UTF-8 between the two.
local function from_codes(s)
  local out = {}
  for _, c in utf8.codes(s) do out[#out + 1] = c == 256 and '\0' or string.char(c) end
  return table.concat(out)
end
local function to_codes(s)
  return (s:gsub('[%z\128-\255]', function(c) return utf8.char(c == '\0' and 256 or c:byte()) end))
end
local file_methods = {}
file_methods.__index = file_methods
function file_methods:write(...)
  if self.mode == 'r' then return nil, 'the file is open for reading' end
  local parts = {}
  for i = 1, select('#', ...) do parts[#parts + 1] = tostring((select(i, ...))) end
  local text = table.concat(parts)
  if self.binary then text = to_codes(text) end
  local ok, err = pcall(file_op, 'append', self.name, text, self.binary)
  if not ok then return nil, io_error(err) end
  return self
end
function file_methods:read(fmt)
  if self.mode ~= 'r' then return nil end
  fmt = fmt or '*l'
  if type(fmt) == 'string' then fmt = fmt:gsub('^%*', '') end
  local text, at = self.text, self.at
  if at > #text and fmt ~= 'a' then return nil end
  if fmt == 'a' then self.at = #text + 1 return text:sub(at) end
  if fmt == 'n' then
    local s, e = text:find('^%s*[-+]?%d*%.?%d+[eE]?[-+]?%d*', at)
    if not s then return nil end
    self.at = e + 1
    return tonumber(text:sub(s, e))
  end
  local e = text:find('\n', at, true)
  local line = text:sub(at, (e or #text + 1) - 1)
  self.at = (e or #text) + 1
  if fmt == 'L' and e then return line .. '\n' end
  return (line:gsub('\r$', ''))
end
function file_methods:lines() return function() return self:read('*l') end end
function file_methods:close() self.closed = true return true end
function file_methods:flush() return self end
io = {}
function io.open(name, mode)
  mode = mode or 'r'
  local binary = mode:find('b', 1, true) ~= nil
  mode = mode:gsub('[b+]', '')
  name = tostring(name)
  local f = setmetatable({ name = name, mode = mode, at = 1, text = '', binary = binary }, file_methods)
  local ok, err
  if mode == 'r' then
    ok, err = pcall(function()
      f.text = file_op('read', name, '', binary)
      if binary then f.text = from_codes(f.text) end
    end)
  elseif mode == 'w' then ok, err = pcall(file_op, 'write', name, '')
  elseif mode == 'a' then ok, err = pcall(file_op, 'append', name, '')
  else return nil, 'mode is r, w or a' end
  if not ok then return nil, io_error(err) end
  return f
end
function io.lines(name)
  local f, err = io.open(name, 'r')
  if not f then error(err, 2) end
  return f:lines()
end
function os.remove(name)
  local ok, err = pcall(file_op, 'remove', tostring(name))
  if not ok then return nil, io_error(err) end
  return true
end
local required = {}
function dofile(name)
  local f, err = load(script_file(name), '@' .. tostring(name))
  if not f then error(err, 2) end
  return f()
end
function require(name)
  name = tostring(name)
  if required[name] ~= nil then return required[name] end
  local f, err = load(script_file(name:find('%.lua$') and name or name .. '.lua'), '@' .. name)
  if not f then error(err, 2) end
  local r = f(name)
  if r == nil then r = true end
  required[name] = r
  return r
end
local new_object, new_array, copy_object, append_item, free_object, wait =
  checked(__new_object), checked(__new_array), checked(__copy), checked(__append), checked(__free), __wait
local serialize, reset, adopt = checked(__serialize), checked(__reset), checked(__adopt)
local from_json, dump_text = checked(__from_json), checked(__dump)
local MARK = '\1SQ:'
local object, array
local object_methods, array_methods = {}, {}

local function path_of(o)
  local mt = getmetatable(o)
  if type(mt) ~= 'table' or mt.__path == nil then error('not a DICOM object', 3) end
  return mt.__path
end

object = function(path)
  return setmetatable({}, {
    __path = path,
    __name = 'DicomObject',
    __index = function(_, key)
      local method = object_methods[key]
      if method then return method end
      if type(key) ~= 'string' then error('a DICOM object is read by attribute name or "gggg,eeee"', 2) end
      if key == 'Storage' and path == '' then return __storage end
      local v = get(path, key)
      if type(v) == 'string' and v:sub(1, #MARK) == MARK then return array(v:sub(#MARK + 1)) end
      return v
    end,
    __newindex = function(_, key, value)
      if type(key) ~= 'string' then error('a DICOM object is written by attribute name or "gggg,eeee"', 2) end
      if key == 'Storage' and path == '' then
        if __storage == nil then error('Data.Storage is set in an import converter only', 2) end
        run_script('storage ' .. tostring(value))
        __storage = string.upper(tostring(value))
        return
      end
      if type(value) == 'table' then set(path, key, nil, true) else set(path, key, value, false) end
    end,
    __tostring = function() return 'DicomObject' end,
  })
end

array = function(path)
  return setmetatable({}, {
    __path = path,
    __array = true,
    __name = 'DicomArray',
    __index = function(_, key)
      if type(key) == 'number' then return object(path .. '.' .. math.floor(key)) end
      local method = array_methods[key]
      if method then return method end
      return object(path .. '.0')[key]
    end,
    __newindex = function(_, key, value)
      if type(key) == 'number' then error('set the attributes of an item, not the item itself', 2) end
      object(path .. '.0')[key] = value
    end,
    __len = function() return count(path) end,
    __tostring = function() return 'DicomArray' end,
  })
end

function object_methods.ListItems(self) local r = list_items(path_of(self)) return r[1], r[2], r[3], r[4] end
function object_methods.GetVR(self, group, element) return get_bytes(path_of(self), group, element) end
function object_methods.SetVR(self, group, element, bytes) set_bytes(path_of(self), group, element, bytes) end
function object_methods.Script(self, text) run_script(text) end
function object_methods.Delete(self)
  local p = path_of(self)
  local seq, n = p:match('^(.*)%.(%d+)$')
  if not seq then error('only an item of a sequence can be deleted', 2) end
  delete_item(seq, tonumber(n))
end
function array_methods.Delete(self, n) delete_item(path_of(self), n) end
function object_methods.Copy(self) return object(copy_object(path_of(self))) end
function object_methods.free(self) free_object(path_of(self)) end
function array_methods.Add(self, o) append_item(path_of(self), path_of(o)) end
function array_methods.free(self) free_object(path_of(self)) end

DicomObject = {}
-- DicomObject:new([json]) (DicomObject.new([json]) too): an object of its own, filled from :Serialize(true)'s JSON.
function DicomObject.new(a, b)
  local json = b
  if a ~= DicomObject then json = a end
  local o = object(new_object())
  if json ~= nil then from_json(path_of(o), tostring(json)) end
  return o
end
function DicomObject.newarray() return array(new_array()) end
function newdicomobject() return object(new_object()) end
function newdicomarray() return array(new_array()) end
function deletedicomobject(o) free_object(path_of(o)) end

-- Calls that wait (lua-engine.ts): answered by the archive's thread while this chunk is suspended. A failure is what
-- Conquest gives back for it (nil, an empty answer, the error's text) and goes to the log; a misuse is an error.
local function call(name, a, b, c, d)
  local r = wait(name, a, b, c, d):await()
  return r.error, r.value
end
local function failed(what, err) log('info', what .. ' failed: ' .. err) end
local function is_array(o) local mt = getmetatable(o) return type(mt) == 'table' and mt.__array == true end
local function query_of(q)
  if q == nil then return object(new_object()) end
  path_of(q)
  return q
end
function dicomecho(ae)
  local err = call('echo', ae)
  if err then failed('dicomecho(' .. tostring(ae) .. ')', err) return nil end
  return true
end
function dicomquery(ae, level, q)
  local err, v = call('query', ae, level, path_of(query_of(q)))
  if err then failed('dicomquery(' .. tostring(ae) .. ')', err) return array(new_array()) end
  return array(v)
end
dicomquery2 = dicomquery
function dicommove(ae, dest, q, patroot)
  local err = call('move', ae, dest, path_of(query_of(q)), patroot)
  if err then failed('dicommove(' .. tostring(ae) .. ', ' .. tostring(dest) .. ')', err) return err end
  return nil
end
-- io.popen(command[, 'r']): the program's output to read (only where AllowExternalCommands = 1; lua-services.ts).
function io.popen(command, mode)
  if mode ~= nil and mode ~= 'r' then return nil, "io.popen reads a program's output (mode r)" end
  local err, v = call('popen', tostring(command))
  if err then return nil, err end
  return setmetatable({ name = tostring(command), mode = 'r', at = 1, text = v }, file_methods)
end
function dicomget(ae, level, q)
  local err, v = call('get', ae, level, path_of(query_of(q)))
  if err then failed('dicomget(' .. tostring(ae) .. ')', err) return array(new_array()) end
  return array(v)
end
function dicomstore(ae, o)
  local err = call('store', ae, path_of(o), is_array(o))
  if err then failed('dicomstore(' .. tostring(ae) .. ')', err) return err end
  return nil
end
local function rows(err, v, what)
  if err then failed(what, err) return nil end
  return v
end
function sql(statement)
  local err, v = call('sql', statement)
  return rows(err, v, 'sql')
end
function dbquery(tbl, fields, where, order)
  local s = 'SELECT ' .. fields .. ' FROM ' .. tbl
  if where and where ~= '' then s = s .. ' WHERE ' .. where end
  if order and order ~= '' then s = s .. ' ORDER BY ' .. order end
  local err, v = call('sql', s)
  return rows(err, v, 'dbquery')
end
function get_amap(n)
  local err, v = call('amap', n)
  if err or v == nil then return end
  return v[1], v[2], v[3], v[4]
end
function get_sqldef(tbl, n)
  local err, v = call('sqldef', tbl, n)
  if err or v == nil then return end
  return v[1], v[2], v[3], v[4], v[5], v[6]
end
function gpps(section, key, default)
  if key == nil then section, key = 'sscscp', section end
  local err, v = call('gpps', section, key)
  if err or v == nil then return default or '' end
  return v
end
function changeuid(old, proposed, stage)
  local err, v = call('changeuid', old, proposed, stage or '')
  if err then error(err, 2) end
  return v
end
function changeuidback(new, stage)
  local err, v = call('changeuidback', new, stage or '')
  if err then error(err, 2) end
  return v
end
function sleep(ms) call('sleep', ms) end

-- Global: dicom.ini's [sscscp] values by name, BaseDir (the data folder), ConfigFile, DGATEVERSION; read only here.
Global = setmetatable({}, {
  __index = function(_, key)
    local err, v = call('global', tostring(key))
    if err then return nil end
    return v
  end,
  __newindex = function(_, key) error('Global.' .. tostring(key) .. ' is read only here', 2) end,
})

function object_methods.Serialize(self, json) return serialize(path_of(self), json == true) end
-- :Dump(file) writes the header as text (a file inside the data folder); :Dump() gives the text.
function object_methods.Dump(self, file)
  local text = dump_text(path_of(self))
  if file == nil then return text end
  if not file_op then error('files are not reached from here', 2) end
  file_op('write', tostring(file), text)
  return true
end
array_methods.Serialize = object_methods.Serialize
function object_methods.Reset(self) reset(path_of(self)) end
-- Data is written as stored (pixels and the converters' changes in), once stored: save to file.
function object_methods.Write(self, file)
  local p = path_of(self)
  if p == '' then run_script('save to ' .. tostring(file)) return true end
  local err = call('writeobject', file, p)
  if err then error(err, 2) end
  return true
end
function object_methods.Read(self, file)
  local err, v = call('readobject', file)
  if err then error(err, 2) end
  adopt(path_of(self), v)
  return true
end
function writedicom(o, file) return o:Write(file) end
function readdicom(o, file) return o:Read(file) end
function dicomread(q)
  local err, v = call('read', path_of(query_of(q)))
  if err then failed('dicomread', err) return array(new_array()) end
  return array(v)
end
-- servercommand: 'display_status:' and 'get_param:KEY' only (lua-services.ts); any other gives nil and says why.
function servercommand(command)
  local err, v = call('servercommand', command)
  if err then failed('servercommand(' .. tostring(command) .. ')', err) return nil end
  return v
end
-- listoldestpatients(max, device[, sort]): patient IDs, least recently used first (the sort field is not used here).
function listoldestpatients(max, device)
  local err, v = call('oldestpatients', max, device or 'MAG0')
  if err then failed('listoldestpatients', err) return {} end
  return v
end
-- newdicommodify(q, script): this archive's objects the query names changed by the converter commands of script (an
-- edit job; their SOP Instance UIDs kept); how many, or nil and the reason in the log.
function newdicommodify(q, script)
  local err, v = call('modify', path_of(query_of(q)), tostring(script))
  if err then failed('newdicommodify', err) return nil end
  return v
end
function dicomdelete(q)
  local err, v = call('delete', path_of(query_of(q)))
  if err then failed('dicomdelete', err) return nil end
  return true
end

Data = object('')
function deletefromsequence(seq, n) delete_item(path_of(seq), n) end
function getvr(group, element) return Data:GetVR(group, element) end
function setvr(group, element, bytes) Data:SetVR(group, element, bytes) end
function script(text) run_script(text) end
function destroy() run_script('destroy') end
function reject() run_script('reject') end
function print(...)
  local parts = {}
  for i = 1, select('#', ...) do parts[#parts + 1] = tostring((select(i, ...))) end
  log('info', table.concat(parts, '\t'))
end
function io.write(...)
  local parts = {}
  for i = 1, select('#', ...) do parts[#parts + 1] = tostring((select(i, ...))) end
  log('info', table.concat(parts))
end
function debuglog(...)
  local parts = {}
  for i = 1, select('#', ...) do parts[#parts + 1] = tostring((select(i, ...))) end
  log('debug', table.concat(parts, '\t'))
end
function dictionary(a, b)
  local r = dict(a, b)
  if type(r) == 'table' then return r[1], r[2] end
  return r
end

__get, __set, __count, __delete_item, __list_items, __get_bytes, __set_bytes, __script, __log, __dictionary =
  nil, nil, nil, nil, nil, nil, nil, nil, nil, nil
__new_object, __new_array, __copy, __append, __free, __wait = nil, nil, nil, nil, nil, nil
__script_file, __io = nil, nil
__serialize, __reset, __adopt, __from_json, __dump = nil, nil, nil, nil, nil

local compiled = {}
-- One chunk (on the archive's thread or in a worker): its association and storage set, then run.
function __go(calling, called, ip, thread, storage, chunk, name)
  Association = { Calling = calling, Called = called, ConnectedIP = ip, Thread = thread }
  __storage = storage
  return __run(chunk, name)
end
function __run(chunk, name)
  required = {}
  local key = name .. '\0' .. chunk
  local f = compiled[key]
  if not f then
    local err
    f, err = load(chunk, '=' .. name)
    if not f then error(err, 0) end
    compiled[key] = f
  end
  return f()
end
`;
