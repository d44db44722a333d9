-- labchat.lua: a Wireshark dissector for labchat's datagrams, every rung.
--
-- Install it with `python -m labchat wireshark --install` (it is copied to
-- the personal Lua plugins folder, ~/.local/lib/wireshark/plugins/), or load
-- it for one run: `tshark -X lua_script:labchat.lua -r capture.pcapng`.
--
-- Which rung a datagram belongs to, in order of precedence:
--   1. the preference labchat.rung, when it is not "auto";
--   2. the capture's interface description, which labchat writes as
--      "labchat rung=<name> seq_bits=<n> window=<n> checksum=on" (labchat/pcap.py), with
--      "wire=arq" for a student's engine that speaks the ARQ rungs' wire;
--   3. a guess from the datagram itself (ARQ letters, then the repaired
--      rung's two numbers, then the report's count).
-- Every rung but the report's may run inside labchat's envelope (sessions and
-- an optional MAC, labchat/protocols/envelope.py): its fields are shown, then
-- the rung's datagram inside it. The MAC is shown, not checked (no secret).
-- Datagrams in a capture labchat wrote are always dissected, so one the rung
-- would reject shows with an expert warning that says why. In any other
-- capture the heuristic claims UDP payloads that parse as some rung, and
-- the ports in the preference labchat.ports are always labchat.
--
-- Each rung's parser is a small function from the payload (a Lua string of
-- bytes) to a table {kind=, label=, items={...}} or nil and a reason. An item
-- is {field, first_byte, length, value} (or a plain note instead of a field):
-- adding an optional field to a rung is adding one item in its parser. The rules mirror labchat/protocols/*.py
-- (decode and the checks that need no state); a test runs tshark over
-- captures of every rung and compares each field with the engines' records.

-- Loaded twice (installed, and given with -X lua_script): keep the first.
if rawget(_G, "labchat_dissector_loaded") then return end
labchat_dissector_loaded = true

local labchat = Proto("labchat", "labchat chat over UDP")

local RUNGS = { "report", "repaired", "stop-and-wait", "go-back-n", "selective-repeat" }
local ARQ = { ["stop-and-wait"] = true, ["go-back-n"] = true, ["selective-repeat"] = true }
local MAX_DATAGRAM = 1024 -- labchat/protocols/base.py: the report's recv(1024)
local DEFAULT_SEQ_BITS = 16 -- labchat/protocols/arq.py: MAX_SEQ_BITS, what describe() reads
local MAX_SACK_RANGES = 8 -- labchat/protocols/arq.py: runs a selective ACK lists at most

local F = {
    rung = ProtoField.string("labchat.rung", "Rung"),
    kind = ProtoField.string("labchat.kind", "Kind"), -- data, resend, ack
    type = ProtoField.string("labchat.type", "ARQ datagram type"), -- D, S, A
    seq = ProtoField.uint32("labchat.seq", "Sequence number", base.DEC),
    ack = ProtoField.uint32("labchat.ack", "Acknowledgement", base.DEC),
    first = ProtoField.uint32("labchat.first", "Skip mark: first number still wanted", base.DEC),
    count = ProtoField.uint64("labchat.count", "Count of messages received", base.DEC),
    sack = ProtoField.string("labchat.sack", "Selective ACK: runs also held"),
    sack_left = ProtoField.uint32("labchat.sack.left", "Run held from", base.DEC),
    sack_right = ProtoField.uint32("labchat.sack.right", "Run held up to", base.DEC),
    text = ProtoField.string("labchat.text", "Text", base.UNICODE),
    session = ProtoField.string("labchat.session", "Envelope: sender's session"),
    to = ProtoField.string("labchat.to", "Envelope: receiver's session as last heard"),
    packet = ProtoField.uint64("labchat.packet", "Envelope: packet number", base.DEC),
    mac = ProtoField.string("labchat.mac", "Envelope: HMAC-SHA256, first 16 bytes"),
    checksum = ProtoField.uint16("labchat.checksum", "Checksum (RFC 1071)", base.HEX),
}
labchat.fields = { F.rung, F.kind, F.type, F.seq, F.ack, F.first, F.count, F.sack,
    F.sack_left, F.sack_right, F.text, F.session, F.to, F.packet, F.mac, F.checksum }

local E = {
    rejected = ProtoExpert.new("labchat.rejected", "The rung would reject this datagram",
        expert.group.MALFORMED, expert.severity.WARN),
    resend = ProtoExpert.new("labchat.resend", "An old message sent again",
        expert.group.SEQUENCE, expert.severity.NOTE),
    guessed = ProtoExpert.new("labchat.guessed", "Rung guessed from the datagram",
        expert.group.ASSUMPTION, expert.severity.CHAT),
}
labchat.experts = { E.rejected, E.resend, E.guessed }

local rung_choices = { { "auto", "From the capture, else guessed per datagram", 0 } }
for i, name in ipairs(RUNGS) do
    rung_choices[#rung_choices + 1] = { name, name, i }
end
labchat.prefs.rung = Pref.enum("Rung", 0, "Which labchat rung the datagrams follow",
    rung_choices, false)
labchat.prefs.ports = Pref.range("UDP ports", "", "UDP ports that always carry labchat", 65535)
labchat.prefs.seq_bits = Pref.uint("Sequence bits", DEFAULT_SEQ_BITS,
    "Size of the ARQ rungs' sequence space, when the capture does not say")

local interface_description = Field.new("frame.interface_description")

-- -- small helpers ------------------------------------------------------------------

-- The byte offset (0-based) of the first invalid UTF-8 sequence, or nil.
local function utf8_error(s)
    local i, n = 1, #s
    while i <= n do
        local c = s:byte(i)
        local len
        if c < 0x80 then len = 1
        elseif c >= 0xC2 and c <= 0xDF then len = 2
        elseif c >= 0xE0 and c <= 0xEF then len = 3
        elseif c >= 0xF0 and c <= 0xF4 then len = 4
        else return i - 1 end
        if i + len - 1 > n then return i - 1 end
        for j = i + 1, i + len - 1 do
            local cc = s:byte(j)
            if cc < 0x80 or cc > 0xBF then return i - 1 end
        end
        local c2 = s:byte(i + 1)
        if (c == 0xE0 and c2 < 0xA0) or (c == 0xED and c2 > 0x9F)
            or (c == 0xF0 and c2 < 0x90) or (c == 0xF4 and c2 > 0x8F) then
            return i - 1
        end
        i = i + len
    end
    return nil
end

-- A field from the wire named in a reason, as labchat.voice.quoted shows it:
-- in curly quotes around FIRST STRONG ISOLATE ... POP DIRECTIONAL ISOLATE
-- (UTF-8 bytes: Lua 5.2 has no \u{} escape).
local function quoted(s)
    s = s:sub(1, 20)
    return "\xE2\x80\x9C\xE2\x81\xA8" .. s .. "\xE2\x81\xA9\xE2\x80\x9D"
end

-- A decimal string as a UInt64 (a count may not fit a Lua number exactly).
local function uint64_of(digits)
    local value = UInt64(0)
    for i = 1, #digits do
        value = value * 10 + (digits:byte(i) - 48)
    end
    return value
end

local function item(field, first, length, value)
    return { field = field, first = first, length = length, value = value }
end

-- -- the rungs ------------------------------------------------------------------------
-- Each returns {kind=, label=, items={...}} or nil, reason. `s` is valid UTF-8.

local function parse_report(s)
    -- labchat/protocols/report.py decode: from the right end, "<text> -<n>" or "-resend".
    local dash = s:match(".*()%-")
    if not dash then return nil, "no ' -<count>' field at the end" end
    local head, tail = s:sub(1, dash - 1), s:sub(dash + 1)
    local lead = #tail:match("^%s*")
    local stripped = tail:match("^%s*(.-)%s*$")
    local text = head:sub(-1) == " " and head:sub(1, -2) or head
    local items = { item(F.text, 0, #text, text) }
    if stripped == "resend" then
        return { kind = "resend", label = text .. " -resend", items = items }
    end
    if not stripped:match("^%d+$") then
        return nil, "count field " .. quoted(stripped) .. " is neither a number nor 'resend'"
    end
    items[#items + 1] = item(F.count, dash + lead, #stripped, uint64_of(stripped))
    return { kind = "data", label = text .. " -" .. stripped, items = items }
end

-- A plain decimal as the repaired rung writes it: no leading zeros, at most 18 digits.
local function plain_number(digits)
    return digits == "0" or (digits:match("^[1-9]%d*$") ~= nil and #digits <= 18)
end

local function parse_repaired(s)
    -- labchat/protocols/repaired.py decode: "<text> -<seq> -<count>".
    local text, seq, count = s:match("^(.*) %-(%d+) %-(%d+)$")
    if not text or not plain_number(seq) or not plain_number(count) then
        return nil, "expected '<text> -<seq> -<count>' with plain numbers"
    end
    local seq_at = #text + 2
    local count_at = seq_at + #seq + 2
    return {
        kind = "data",
        label = text .. " -" .. seq .. " -" .. count,
        items = {
            item(F.seq, seq_at, #seq, tonumber(seq)),
            item(F.count, count_at, #count, uint64_of(count)),
            item(F.text, 0, #text, text),
        },
    }
end

-- labchat/protocols/arq.py _number: a plain decimal below 2**seq_bits.
local function arq_number(field, what, modulus)
    local canonical = field:match("^%d+$") and (field == "0" or field:sub(1, 1) ~= "0")
    if not canonical or #field > #tostring(modulus - 1) then
        return nil, what .. " field " .. quoted(field) .. " is not a plain number"
    end
    local value = tonumber(field)
    if value >= modulus then
        return nil, what .. " " .. field .. " is outside the sequence space 0.." .. (modulus - 1)
    end
    return value
end

-- Pieces of `s` between commas, empty ones included ("1,,2" has three).
local function split_commas(s)
    local parts, from = {}, 1
    while true do
        local comma = s:find(",", from, true)
        if not comma then
            parts[#parts + 1] = s:sub(from)
            return parts
        end
        parts[#parts + 1] = s:sub(from, comma - 1)
        from = comma + 1
    end
end

-- The <ack> field at byte `at`: "3", "-" (nothing yet), or the selective form
-- "<cumulative>:<runs>" (arq.py _ack_field: "7:9-11,14", "-:2", "3:").
-- Returns its items, or nil and a reason.
local function ack_items(field, at, modulus, letter)
    local colon = field:find(":", 1, true)
    local cumulative = colon and field:sub(1, colon - 1) or field
    local items = {}
    if cumulative == "-" and (colon or letter ~= "A") then
        items[1] = { first = at, length = 1,
            note = "Acknowledgement: - (nothing received in order yet)" }
    else
        local value, reason = arq_number(cumulative, "ack", modulus)
        if not value then return nil, reason end
        items[1] = item(F.ack, at, #cumulative, value)
    end
    if not colon then return items end
    local listed = field:sub(colon + 1)
    items[#items + 1] = item(F.sack, at + colon, #listed, listed)
    if listed == "" then return items end
    local parts = split_commas(listed)
    if #parts > MAX_SACK_RANGES then
        return nil, "a selective ack lists at most " .. MAX_SACK_RANGES .. " runs"
    end
    local offset = at + colon
    for _, part in ipairs(parts) do
        local dash = part:find("-", 1, true)
        local low = dash and part:sub(1, dash - 1) or part
        local left, reason = arq_number(low, "sack", modulus)
        if not left then return nil, reason end
        local right = left
        if dash then
            right, reason = arq_number(part:sub(dash + 1), "sack", modulus)
            if not right then return nil, reason end
        end
        if (right - left) % modulus >= modulus / 2 then
            return nil, "sack run " .. quoted(part) .. " is longer than half the space"
        end
        items[#items + 1] = item(F.sack_left, offset, #low, left)
        items[#items + 1] = item(F.sack_right, offset + (dash or 0), #part - (dash or 0), right)
        offset = offset + #part + 1
    end
    return items
end

-- Each ARQ datagram type: its kind and its fields in order; "text" takes the rest.
-- A new field (a checksum, a selective ACK list) is one more name here and, if
-- it is not a number, one more reader below.
local ARQ_TYPES = {
    D = { kind = "data", fields = { "seq", "ack", "text" },
        usage = "a data datagram is 'D <seq> <ack> <text>'" },
    S = { kind = "data", fields = { "seq", "ack", "first", "text" },
        usage = "a skip datagram is 'S <seq> <ack> <first> <text>'" },
    A = { kind = "ack", fields = { "ack" }, usage = "an ACK is 'A <number>' and nothing else" },
}

-- Which number fields labchat/protocols/arq.py decode() reads first.
local ARQ_CHECK_ORDER = { "seq", "ack", "first" }

-- labchat/protocols/arq.py internet_checksum: RFC 1071 over the bytes of `s`
-- (an odd last byte padded with zero), without bit operators (Lua 5.2 has none).
local function internet_checksum(s)
    local total = 0
    for i = 1, #s, 2 do
        total = total + s:byte(i) * 256 + (s:byte(i + 1) or 0)
    end
    while total > 0xFFFF do
        total = total % 0x10000 + math.floor(total / 0x10000)
    end
    return 0xFFFF - total
end

local parse_arq_datagram

-- The checksum in front ("a1c4 D 0 - hi", arq.py seal/unseal): required when
-- the capture says checksum=on, refused (an unknown kind) when it says off,
-- read if present when it does not say.
local function parse_arq(s, settings)
    local carried = s:match("^([0-9a-f][0-9a-f][0-9a-f][0-9a-f]) ")
    if settings.checksum == "off" or (not carried and settings.checksum ~= "on") then
        return parse_arq_datagram(s, settings)
    end
    if not carried then
        return nil, "corrupted: checksum mismatch (no readable checksum field)"
    end
    local body = s:sub(6)
    local computed = internet_checksum(body)
    if tonumber(carried, 16) ~= computed then
        return nil, "corrupted: checksum mismatch (carried " .. carried .. ", computed "
            .. string.format("%04x", computed) .. ")"
    end
    -- Checked before the text, as the engine does: corruption may break UTF-8.
    local bad = utf8_error(body)
    if bad then return nil, "not valid UTF-8 at byte " .. bad end
    local parsed, reason = parse_arq_datagram(body, settings)
    if not parsed then return nil, reason end
    for _, it in ipairs(parsed.items) do it.first = it.first + 5 end
    table.insert(parsed.items, 1, item(F.checksum, 0, 4, computed))
    return parsed
end

parse_arq_datagram = function(s, settings)
    -- labchat/protocols/arq.py decode and ArqEngine._skip_target's stateless checks.
    local modulus = 2 ^ settings.seq_bits
    local letter = s:match("^([^ ]*)")
    local shape = ARQ_TYPES[letter]
    if not shape then
        return nil, "unknown datagram kind " .. quoted(letter) .. "; expected D, S or A"
    end
    if letter == "A" then
        local rest = s:sub(3)
        if s:sub(2, 2) ~= " " or rest == "" or rest:find(" ", 1, true) then
            return nil, shape.usage
        end
    end
    -- First the fields' places, then their values, in the order the engine
    -- checks them, so the first complaint is the engine's own.
    local fields = {}
    local at = #letter + 1 -- 0-based offset of the next field
    local rest = s:sub(at + 1)
    if #s == #letter then rest = nil end
    for index, name in ipairs(shape.fields) do
        if rest == nil then return nil, shape.usage end
        local field, after = rest, nil
        if index < #shape.fields then
            local space = rest:find(" ", 1, true)
            if not space then return nil, shape.usage end
            field, after = rest:sub(1, space - 1), rest:sub(space + 1)
        end
        fields[name] = { text = field, at = at }
        at = at + #field + 1
        rest = after
    end
    local items = { item(F.type, 0, 1, letter) }
    local values = {}
    for _, name in ipairs(ARQ_CHECK_ORDER) do
        local field = fields[name]
        if field and name == "ack" then
            local found, reason = ack_items(field.text, field.at, modulus, letter)
            if not found then return nil, reason end
            for _, it in ipairs(found) do items[#items + 1] = it end
        elseif field then
            local value, reason = arq_number(field.text, name, modulus)
            if not value then return nil, reason end
            items[#items + 1] = item(F[name], field.at, #field.text, value)
        end
        if field then values[name] = field.text end
    end
    if fields.text then
        items[#items + 1] = item(F.text, fields.text.at, #fields.text.text, fields.text.text)
        values.text = fields.text.text
    end
    if letter == "S" then
        local seq, first = tonumber(values.seq), tonumber(values.first)
        if not (settings.window + 1 <= modulus / 2) then
            return nil, "a skip mark needs window + 1 <= half the sequence space (window "
                .. settings.window .. ", " .. modulus .. " numbers)"
        end
        if (seq - first) % modulus >= modulus / 2 then
            return nil, "first " .. values.first .. " is after seq " .. values.seq
        end
    end
    local label
    if letter == "A" then
        label = "ACK " .. values.ack
    else
        label = letter .. values.seq .. " ack" .. values.ack
            .. (values.first and (" first" .. values.first) or "") .. " " .. values.text
    end
    return { kind = shape.kind, label = label, items = items }
end

local PARSERS = { report = parse_report, repaired = parse_repaired }
for name in pairs(ARQ) do PARSERS[name] = parse_arq end

-- labchat/protocols/envelope.py: "@<from>/<to>[/<n>#<mac>][ <rung's datagram>]"
-- around every rung but the report's. Returns the envelope's items, where the
-- rung's datagram starts (0-based, or nil for an announcement), or nil.
local HEX8 = string.rep("%x", 8)
local ENVELOPE_ROOM = 1 + 8 + 1 + 8 + 1 + 20 + 1 + 32 + 1 -- envelope.py HEADER_ROOM
local function parse_envelope(s)
    local from, to, after = s:match("^@(" .. HEX8 .. ")/(" .. HEX8 .. ")()")
    if not from then from, to, after = s:match("^@(" .. HEX8 .. ")/(%-)()") end
    if not from then return nil end
    local items = { item(F.session, 1, 8, from), item(F.to, 10, #to, to) }
    local n, mac, signed_end = s:match("^/(%d+)#(" .. string.rep("%x", 32) .. ")()", after)
    if n then
        items[#items + 1] = item(F.packet, after, #n, uint64_of(n))
        items[#items + 1] = item(F.mac, after + #n + 1, 32, mac)
        after = signed_end
    end
    if after > #s then return items, nil end
    if s:sub(after, after) ~= " " then return nil end
    return items, after -- 0-based offset of the byte after the space
end

-- -- which rung ------------------------------------------------------------------------

-- What the capture says about itself: {rung=, seq_bits=, window=} or nil.
local function capture_settings()
    local description = interface_description()
    if not description then return nil end
    local text = tostring(description.value)
    if not text:match("^labchat") then return nil end
    return {
        rung = text:match("rung=([%w%-_]+)"),
        wire = text:match("wire=(%w+)"),
        seq_bits = tonumber(text:match("seq_bits=(%d+)")),
        window = tonumber(text:match("window=(%d+)")),
        checksum = text:match("checksum=(%a+)"),
    }
end

local function guess(s, settings)
    for _, name in ipairs({ "go-back-n", "repaired", "report" }) do
        if PARSERS[name](s, settings) then
            return ARQ[name] and "ARQ (stop-and-wait, go-back-n or selective-repeat)" or name,
                name
        end
    end
    return nil
end

-- -- dissection ------------------------------------------------------------------------

local function dissect(tvb, pinfo, tree, claim_all)
    local whole = tvb:raw()
    local envelope, inner_at = nil, 0
    if RUNGS[labchat.prefs.rung] ~= "report" then envelope, inner_at = parse_envelope(whole) end
    if envelope and not inner_at then -- an announcement: a session, nothing inside
        pinfo.cols.protocol = "LABCHAT"
        local subtree = tree:add(labchat, tvb())
        subtree:add(F.kind, "ack")
        for _, it in ipairs(envelope) do subtree:add(it.field, tvb(it.first, it.length), it.value) end
        pinfo.cols.info = "session " .. whole:sub(2, 9)
        return true
    end
    inner_at = inner_at or 0
    local s = whole:sub(inner_at + 1)
    local from_capture = capture_settings()
    local settings = {
        seq_bits = (from_capture and from_capture.seq_bits) or labchat.prefs.seq_bits,
        window = (from_capture and from_capture.window) or 1,
        checksum = from_capture and from_capture.checksum,
    }
    local rung = RUNGS[labchat.prefs.rung] or (from_capture and from_capture.rung)
    local rung_label, guessed = rung, false
    local parse = PARSERS[rung or ""]
    if not parse and rung and from_capture and from_capture.wire == "arq" then
        parse = parse_arq
    end
    local bad_utf8 = utf8_error(s)
    if not parse then
        rung = nil
        if not bad_utf8 then rung_label, rung = guess(s, settings) end
        guessed = rung ~= nil
        parse = PARSERS[rung or ""]
    end
    if not rung and not claim_all and not from_capture then return false end

    pinfo.cols.protocol = "LABCHAT"
    local subtree = tree:add(labchat, tvb())
    subtree:add(F.rung, rung_label or "unknown")
    for _, it in ipairs(envelope or {}) do
        subtree:add(it.field, tvb(it.first, it.length), it.value)
    end
    if guessed then
        subtree:add_proto_expert_info(E.guessed, "Rung guessed: " .. rung_label
            .. " (set labchat.rung to be sure)")
    end

    local reason
    local parsed
    local limit = MAX_DATAGRAM + (envelope and ENVELOPE_ROOM or 0)
    if #whole > limit then
        reason = "datagram of " .. #whole .. " bytes exceeds the " .. limit .. "-byte limit"
    elseif bad_utf8 and not (parse == parse_arq and settings.checksum == "on") then
        -- With a checksum, corrupted bytes are the checksum's to name (parse_arq).
        reason = "not valid UTF-8 at byte " .. bad_utf8
    elseif not parse then
        reason = "no labchat rung can read it"
    else
        parsed, reason = parse(s, settings)
    end
    if not parsed then
        subtree:add(F.kind, "garbage")
        subtree:add_proto_expert_info(E.rejected, "The " .. (rung_label or "labchat")
            .. " rung would reject it: " .. reason)
        pinfo.cols.info = "rejected: " .. reason
        return true
    end

    subtree:add(F.kind, parsed.kind)
    for _, it in ipairs(parsed.items) do
        if it.note then
            subtree:add(tvb(inner_at + it.first, it.length), it.note)
        elseif it.length > 0 then
            subtree:add(it.field, tvb(inner_at + it.first, it.length), it.value)
        else
            subtree:add(it.field, it.value)
        end
    end
    if parsed.kind == "resend" then
        subtree:add_proto_expert_info(E.resend)
    end
    pinfo.cols.info = parsed.label
    return true
end

function labchat.dissector(tvb, pinfo, tree)
    dissect(tvb, pinfo, tree, true)
    return tvb:len()
end

local function heuristic(tvb, pinfo, tree)
    return dissect(tvb, pinfo, tree, false)
end

labchat:register_heuristic("udp", heuristic)

local udp_port = DissectorTable.get("udp.port")
udp_port:add_for_decode_as(labchat)
local registered_ports = ""

function labchat.prefs_changed()
    local ports = tostring(labchat.prefs.ports)
    if ports ~= registered_ports then
        if registered_ports ~= "" then udp_port:remove(registered_ports, labchat) end
        if ports ~= "" then udp_port:add(ports, labchat) end
        registered_ports = ports
    end
end
