-- post.lua: wrk script of `make bench`.
--   wrk ... -s tests/bench/post.lua URL -- BODYFILE
-- POSTs BODYFILE as an Anthropic request on every connection and, when
-- done, prints one line of key=value (latency in microseconds) that
-- tests/bench/run.sh reads.  Non-2xx answers and socket errors count as
-- errors.
local req

function init(args)
    local f = assert(io.open(args[1], "rb"))
    local body = f:read("*a")
    f:close()
    req = wrk.format("POST", nil, {
        ["Content-Type"] = "application/json",
        ["anthropic-version"] = "2023-06-01",
        ["x-api-key"] = "bench-key",
    }, body)
end

function request()
    return req
end

function done(summary, latency, requests)
    local e = summary.errors
    io.write(string.format(
        "requests=%d duration_us=%d p50_us=%d p99_us=%d errors=%d\n",
        summary.requests, summary.duration,
        latency:percentile(50), latency:percentile(99),
        e.connect + e.read + e.write + e.status + e.timeout))
end
