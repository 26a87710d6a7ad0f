#!/usr/bin/env python3
"""oversight_lat.py: latency of the oversight queries through tamnongd, one
request at a time on one connection (what a person at the standing agency
waits for). For each case: W warm-up calls (not counted: the cold cache is
excluded), then N timed calls, from the request's first byte sent to the
response's last byte received. The response is checked (status OK) but not
decoded while timing. Prints one JSON object per case:

    {"case", "method", "n", "p50_ms", "p99_ms", "max_ms", "bytes", "status"}

A method the server does not implement yet answers UNIMPLEMENTED: reported
with status "UNIMPLEMENTED" and no numbers, not an error.

    oversight_lat.py --port P --ca CA --cert C --key K [--session-token HEX] [-n N] [-w W]
        CASES.json
CASES.json: [{"case": NAME, "m": METHOD, "msg": {...}}, ...]
"""
import argparse
import json
import os
import struct
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "../tests/integration"))
import rpc  # noqa: E402
import wire  # noqa: E402


def call_raw(s, reader, rid, idx, payload, token):
    """Send one request, return (status, body length, seconds)."""
    t0 = time.perf_counter()
    s.sendall(wire.frame(wire.request(rid, idx, payload, session_token=token)))
    buf = reader[0]
    while True:
        if len(buf) >= 4:
            (n,) = struct.unpack(">I", buf[:4])
            if len(buf) >= 4 + n:
                body, buf = buf[4:4 + n], buf[4 + n:]
                break
        data = s.recv(1 << 20)
        if not data:
            raise ConnectionError("connection closed by the server")
        buf += data
    t1 = time.perf_counter()
    reader[0] = buf
    f = wire.decode(body)
    return f.get(2, [0])[0], len(body), t1 - t0, f.get(3, [b""])[0].decode("utf-8", "replace")


def pct(v, p):
    v = sorted(v)
    i = min(len(v) - 1, max(0, int(round(p * len(v) + 0.5)) - 1))
    return v[i]


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--ca", required=True)
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--server-name", default="localhost")
    p.add_argument("--timeout", type=float, default=60.0)
    p.add_argument("--session-token", default="", help="hex session token of a reviewer")
    p.add_argument("-n", type=int, default=200)
    p.add_argument("-w", type=int, default=5)
    p.add_argument("cases")
    args = p.parse_args()
    cases = json.load(open(args.cases, encoding="utf-8"))
    conn = rpc.Conn(args)  # identified by a first Ping
    s = conn.s
    s.settimeout(args.timeout)
    reader = [conn.reader]
    rid = 1000
    names = [m[0] for m in rpc.METHODS]
    token = bytes.fromhex(args.session_token)
    failed = False
    for c in cases:
        idx = names.index(c["m"])
        payload = rpc.encode(rpc.METHODS[idx][1], c.get("msg", {}))
        times, size, status_name = [], 0, "OK"
        for k in range(args.w + args.n):
            rid += 1
            st, size, dt, msg = call_raw(s, reader, rid, idx, payload, token)
            if st != 0:
                status_name = wire.STATUS.get(st, str(st))
                if status_name != "UNIMPLEMENTED":
                    failed = True
                    print(f"{c['case']}: {status_name}: {msg}", file=sys.stderr)
                break
            if k >= args.w:
                times.append(dt * 1000)
        out = {"case": c["case"], "method": c["m"], "status": status_name}
        if times:
            out.update(n=len(times), p50_ms=round(pct(times, 0.5), 2),
                       p99_ms=round(pct(times, 0.99), 2), max_ms=round(max(times), 2),
                       bytes=size)
        print(json.dumps(out, ensure_ascii=False), flush=True)
    s.close()
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
