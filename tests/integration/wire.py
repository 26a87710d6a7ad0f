#!/usr/bin/env python3
"""wire.py: a raw tamnong wire client for the integration tests (stdlib only).

It speaks the protocol by hand (TLS, then 4-byte big-endian length + protobuf
Request/Response, see proto/tamnong.proto) so tests can send what the real
client never would: oversize and zero-length frames, garbage, half frames,
many pipelined requests, connections without a certificate.

Every subcommand prints one JSON object on stdout and is bounded in time.
Exit 0 when the expectation named by the subcommand held, 1 when not, 2 on
usage errors.
"""

import argparse
import json
import os
import selectors
import signal
import socket
import ssl
import struct
import subprocess
import sys
import time

STATUS = {
    0: "OK", 1: "CANCELLED", 2: "UNKNOWN", 3: "INVALID_ARGUMENT", 4: "DEADLINE_EXCEEDED",
    5: "NOT_FOUND", 6: "ALREADY_EXISTS", 7: "PERMISSION_DENIED", 8: "RESOURCE_EXHAUSTED",
    9: "FAILED_PRECONDITION", 10: "ABORTED", 11: "OUT_OF_RANGE", 12: "UNIMPLEMENTED",
    13: "INTERNAL", 14: "UNAVAILABLE", 15: "DATA_LOSS", 16: "UNAUTHENTICATED",
}
RETRYABLE = {"UNAVAILABLE", "RESOURCE_EXHAUSTED", "DEADLINE_EXCEEDED", "ABORTED"}
METHOD_PING = 0


# --- protobuf by hand -----------------------------------------------------------

def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def field_varint(num, value):
    return varint(num << 3) + varint(value) if value else b""


def field_bytes(num, value):
    return varint((num << 3) | 2) + varint(len(value)) + value if value else b""


def request(req_id, method=METHOD_PING, payload=b"", deadline_ms=0, session_token=b""):
    return (field_varint(1, req_id) + field_varint(2, method) + field_varint(3, deadline_ms)
            + field_bytes(4, session_token) + field_bytes(5, payload))


def frame(body):
    return struct.pack(">I", len(body)) + body


def ping_frame(req_id, skip_db=False):
    return frame(request(req_id, METHOD_PING, field_varint(1, 1) if skip_db else b""))


def read_varint(buf, i):
    shift = 0
    n = 0
    while True:
        if i >= len(buf):
            raise ValueError("truncated varint")
        b = buf[i]
        i += 1
        n |= (b & 0x7F) << shift
        if not b & 0x80:
            return n, i
        shift += 7
        if shift > 63:
            raise ValueError("varint too long")


def decode(buf):
    """Generic protobuf decode: {field number: [values]} (varints and bytes)."""
    out = {}
    i = 0
    while i < len(buf):
        key, i = read_varint(buf, i)
        num, wt = key >> 3, key & 7
        if wt == 0:
            v, i = read_varint(buf, i)
        elif wt == 2:
            n, i = read_varint(buf, i)
            if i + n > len(buf):
                raise ValueError("truncated bytes field")
            v = buf[i:i + n]
            i += n
        elif wt == 1:
            v = buf[i:i + 8]
            i += 8
        elif wt == 5:
            v = buf[i:i + 4]
            i += 4
        else:
            raise ValueError("bad wire type %d" % wt)
        out.setdefault(num, []).append(v)
    return out


def decode_response(body):
    f = decode(body)
    first = lambda n, d: f.get(n, [d])[0]  # noqa: E731
    r = {
        "id": first(1, 0),
        "status": STATUS.get(first(2, 0), "STATUS_%d" % first(2, 0)),
        "message": first(3, b"").decode("utf-8", "replace"),
        "server_time_ms": first(4, 0),
        "retry_after_ms": first(6, 0),
    }
    payload = first(5, b"")
    if payload:
        r["payload_len"] = len(payload)
    return r


class FrameReader:
    def __init__(self):
        self.buf = b""

    def feed(self, data):
        self.buf += data
        out = []
        while len(self.buf) >= 4:
            (n,) = struct.unpack(">I", self.buf[:4])
            if len(self.buf) < 4 + n:
                break
            out.append(decode_response(self.buf[4:4 + n]))
            self.buf = self.buf[4 + n:]
        return out


# --- connections ----------------------------------------------------------------

def tls_context(args, with_cert=True):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_verify_locations(args.ca)
    ctx.check_hostname = True
    if with_cert and args.cert:
        ctx.load_cert_chain(args.cert, args.key)
    return ctx


def tls_connect(args, with_cert=True, timeout=None):
    raw = socket.create_connection((args.host, args.port), timeout=timeout or args.timeout)
    try:
        s = tls_context(args, with_cert).wrap_socket(raw, server_hostname=args.server_name)
    except BaseException:
        raw.close()
        raise
    return s


def wait_closed(s, timeout, reader=None):
    """Read until EOF or error. Returns (closed, seconds, responses, how)."""
    start = time.monotonic()
    responses = []
    reader = reader or FrameReader()
    s.settimeout(0.2)
    while True:
        left = timeout - (time.monotonic() - start)
        if left <= 0:
            return False, round(time.monotonic() - start, 3), responses, "timeout"
        try:
            data = s.recv(65536)
        except (socket.timeout, ssl.SSLWantReadError):
            continue
        except (ssl.SSLError, OSError) as e:
            return True, round(time.monotonic() - start, 3), responses, type(e).__name__ + ": " + str(e)
        if not data:
            return True, round(time.monotonic() - start, 3), responses, "eof"
        try:
            responses += reader.feed(data)
        except ValueError as e:
            responses.append({"undecodable": str(e)})


def do_pings(s, n, skip_db=False, first_id=1, timeout=10.0):
    """Send n pipelined pings, read n responses. Returns list of responses."""
    s.sendall(b"".join(ping_frame(first_id + i, skip_db) for i in range(n)))
    reader = FrameReader()
    got = []
    deadline = time.monotonic() + timeout
    s.settimeout(0.5)
    while len(got) < n and time.monotonic() < deadline:
        try:
            data = s.recv(65536)
        except socket.timeout:
            continue
        if not data:
            break
        got += reader.feed(data)
    return got


def count_status(responses):
    c = {}
    for r in responses:
        k = r.get("status", "UNDECODABLE")
        c[k] = c.get(k, 0) + 1
    return c


def emit(obj, ok):
    obj["ok"] = bool(ok)
    print(json.dumps(obj, sort_keys=True))
    sys.exit(0 if ok else 1)


# --- subcommands ----------------------------------------------------------------

def cmd_ping(args):
    """N pipelined pings on one connection; ok when all N answered OK."""
    try:
        s = tls_connect(args)
        got = do_pings(s, args.count, args.skip_db, timeout=args.timeout)
        s.close()
    except (OSError, ssl.SSLError) as e:
        emit({"error": type(e).__name__ + ": " + str(e)}, False)
    ids = sorted(r.get("id") for r in got)
    c = count_status(got)
    emit({"answered": len(got), "statuses": c, "ids_ok": ids == list(range(1, args.count + 1))},
         len(got) == args.count and c.get("OK", 0) == args.count)


BAD_FRAMES = {
    # name: (bytes to send, description)
    "huge": lambda a: struct.pack(">I", 0xFFFFFFFF),
    "oversize": lambda a: struct.pack(">I", a.max_frame + 1) + b"\0" * 1024,
    "zero": lambda a: struct.pack(">I", 0),
    "garbage": lambda a: os.urandom(4096),
    "ascii": lambda a: b"GET / HTTP/1.1\r\nHost: x\r\n\r\n" * 10,
    "bad-envelope": lambda a: frame(b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"),
    "half": lambda a: struct.pack(">I", 100) + b"\x08\x01",
}


def cmd_probe(args):
    """Send a bad frame after a valid TLS handshake (optionally after a good
    ping); ok when the server closes the connection within --timeout."""
    try:
        s = tls_connect(args)
        before = do_pings(s, 1, timeout=args.timeout) if args.ping_first else []
        payload = BAD_FRAMES[args.kind](args)
        try:
            s.sendall(payload)
        except (OSError, ssl.SSLError) as e:
            emit({"closed": True, "how": "send failed: " + str(e), "before": before}, True)
        closed, secs, resp, how = wait_closed(s, args.timeout)
        s.close()
    except (OSError, ssl.SSLError) as e:
        emit({"error": type(e).__name__ + ": " + str(e)}, False)
    ok_ping = (not args.ping_first) or (len(before) == 1 and before[0]["status"] == "OK")
    emit({"kind": args.kind, "closed": closed, "seconds": secs, "how": how,
          "responses": resp, "ping_first_ok": ok_ping}, closed and ok_ping)


def cmd_plain(args):
    """Plain TCP (no TLS): send garbage or nothing; ok when closed in time."""
    try:
        s = socket.create_connection((args.host, args.port), timeout=args.timeout)
        if args.kind == "garbage":
            s.sendall(b"\x00\x00\x00\x10hello, tamnong!!" + os.urandom(2048))
        elif args.kind == "http":
            s.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        elif args.kind == "tls-partial":
            # The start of a TLS record header promising more than we send.
            s.sendall(b"\x16\x03\x01\x02\x00\x01")
        start = time.monotonic()
        s.settimeout(0.2)
        closed, how, got = False, "timeout", 0
        while time.monotonic() - start < args.timeout:
            try:
                data = s.recv(65536)
            except socket.timeout:
                continue
            except OSError as e:
                closed, how = True, str(e)
                break
            if not data:
                closed, how = True, "eof"
                break
            got += len(data)
        secs = round(time.monotonic() - start, 3)
        s.close()
    except OSError as e:
        emit({"error": str(e)}, False)
    emit({"kind": args.kind, "closed": closed, "how": how, "seconds": secs, "bytes_back": got},
         closed)


def cmd_refused(args):
    """Connect with the given certificate (or none), send a ping; ok when no
    OK response comes back (handshake refused, alert, EOF or error status)."""
    out = {"handshake": False, "responses": []}
    try:
        s = tls_connect(args, with_cert=not args.no_cert)
        out["handshake"] = True
        try:
            s.sendall(ping_frame(1))
        except (OSError, ssl.SSLError) as e:
            out["how"] = "send failed: " + str(e)
            emit(out, True)
        closed, secs, resp, how = wait_closed(s, args.timeout)
        out.update({"closed": closed, "seconds": secs, "how": how, "responses": resp})
        s.close()
    except (OSError, ssl.SSLError) as e:
        out["how"] = type(e).__name__ + ": " + str(e)
        emit(out, True)
    got_ok = any(r.get("status") == "OK" for r in out["responses"])
    emit(out, not got_ok and (out.get("closed") or out["responses"]))


def cmd_maxconn(args):
    """Hold --count connections (each answering a ping), then try one more:
    ok when the extra one is refused within --timeout and every held one
    still answers afterwards. A command after -- runs while they are held."""
    held = []
    out = {}
    try:
        for i in range(args.count):
            s = tls_connect(args)
            r = do_pings(s, 1, timeout=args.timeout)
            if len(r) != 1 or r[0]["status"] != "OK":
                emit({"error": "held connection %d did not answer OK: %r" % (i, r)}, False)
            held.append(s)
    except (OSError, ssl.SSLError) as e:
        emit({"error": "opening held connection %d: %s" % (len(held), e)}, False)
    # The extra connection.
    start = time.monotonic()
    extra = {"refused": False}
    try:
        s = tls_connect(args)
        try:
            s.sendall(ping_frame(1))
            closed, secs, resp, how = wait_closed(s, args.timeout)
            statuses = [r.get("status") for r in resp]
            extra.update({"closed": closed, "how": how, "statuses": statuses})
            extra["refused"] = "OK" not in statuses and (closed or bool(statuses))
        except (OSError, ssl.SSLError) as e:
            extra.update({"refused": True, "how": str(e)})
        s.close()
    except (OSError, ssl.SSLError) as e:
        extra.update({"refused": True, "how": type(e).__name__ + ": " + str(e)})
    extra["seconds"] = round(time.monotonic() - start, 3)
    out["extra"] = extra
    if args.command:
        cmd = args.command[1:] if args.command[0] == "--" else args.command
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout + 30)
        out["command"] = {"rc": p.returncode, "stdout": p.stdout[-2000:], "stderr": p.stderr[-2000:]}
    # The held ones still work.
    still = 0
    for i, s in enumerate(held):
        try:
            r = do_pings(s, 1, first_id=100 + i, timeout=args.timeout)
            if len(r) == 1 and r[0]["status"] == "OK":
                still += 1
        except (OSError, ssl.SSLError):
            pass
        s.close()
    out["held_still_ok"] = still
    emit(out, extra["refused"] and extra["seconds"] < args.timeout and still == args.count)


def cmd_storm(args):
    """--conns connections each pipelining --count pings; after the first
    answer, SIGTERM --kill PID, then send a second batch. Reads every
    connection to EOF. ok when every answer is OK or retryable, at least one
    is OK, and every connection was closed by the server in time."""
    conns = []
    try:
        for _ in range(args.conns):
            conns.append(tls_connect(args))
    except (OSError, ssl.SSLError) as e:
        emit({"error": "connect: %s" % e}, False)
    sel = selectors.DefaultSelector()
    readers = {}
    sent = 0
    for ci, s in enumerate(conns):
        s.sendall(b"".join(ping_frame(ci * 100000 + i + 1, args.skip_db) for i in range(args.count)))
        sent += args.count
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ, ci)
        readers[ci] = FrameReader()
    responses = []
    open_ = set(range(len(conns)))
    killed_at = None
    second_sent = False
    second_errors = 0
    deadline = time.monotonic() + args.timeout
    how = {}
    while open_ and time.monotonic() < deadline:
        if killed_at is None and responses:
            os.kill(args.kill, signal.SIGTERM)
            killed_at = time.monotonic()
        if killed_at is not None and not second_sent and time.monotonic() - killed_at > 0.05:
            second_sent = True
            for ci in list(open_):
                try:
                    conns[ci].setblocking(True)
                    conns[ci].settimeout(1.0)
                    conns[ci].sendall(b"".join(ping_frame(ci * 100000 + 50000 + i, args.skip_db)
                                               for i in range(args.second)))
                    sent += args.second
                except (OSError, ssl.SSLError):
                    second_errors += 1
                finally:
                    conns[ci].setblocking(False)
        for key, _ in sel.select(timeout=0.1):
            ci = key.data
            s = conns[ci]
            while True:
                try:
                    data = s.recv(65536)
                except (ssl.SSLWantReadError, BlockingIOError):
                    break
                except (ssl.SSLError, OSError) as e:
                    data = b""
                    how[ci] = type(e).__name__
                if not data:
                    how.setdefault(ci, "eof")
                    sel.unregister(s)
                    open_.discard(ci)
                    break
                try:
                    responses += readers[ci].feed(data)
                except ValueError as e:
                    responses.append({"undecodable": str(e)})
    for s in conns:
        s.close()
    c = count_status(responses)
    bad = {k: v for k, v in c.items() if k != "OK" and k not in RETRYABLE}
    out = {"sent": sent, "answered": len(responses), "statuses": c, "bad": bad,
           "still_open": len(open_), "close_how": sorted(set(how.values())),
           "second_batch_send_errors": second_errors, "killed": killed_at is not None}
    emit(out, killed_at is not None and not bad and c.get("OK", 0) > 0 and not open_)


def cmd_http(args):
    """GET PATH from the ops port; prints {status, body}; ok when status 200."""
    try:
        s = socket.create_connection((args.host, args.port), timeout=args.timeout)
        s.sendall(("GET %s HTTP/1.0\r\nHost: localhost\r\n\r\n" % args.path).encode())
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        s.close()
    except OSError as e:
        emit({"status": 0, "error": str(e), "body": ""}, False)
    head, _, body = data.partition(b"\r\n\r\n")
    try:
        status = int(head.split(b" ", 2)[1])
    except (IndexError, ValueError):
        status = -1
    emit({"status": status, "body": body.decode("utf-8", "replace")}, status == 200)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--ca")
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--server-name", default="localhost")
    p.add_argument("--timeout", type=float, default=10.0)
    sub = p.add_subparsers(dest="cmd", required=True)
    sp = sub.add_parser("ping")
    sp.add_argument("--count", type=int, default=1)
    sp.add_argument("--skip-db", action="store_true")
    sp = sub.add_parser("probe")
    sp.add_argument("kind", choices=sorted(BAD_FRAMES))
    sp.add_argument("--max-frame", type=int, default=4 * 1024 * 1024)
    sp.add_argument("--ping-first", action="store_true")
    sp = sub.add_parser("plain")
    sp.add_argument("kind", choices=["garbage", "http", "nothing", "tls-partial"])
    sp = sub.add_parser("refused")
    sp.add_argument("--no-cert", action="store_true")
    sp = sub.add_parser("maxconn")
    sp.add_argument("--count", type=int, required=True)
    sp.add_argument("command", nargs=argparse.REMAINDER)
    sp = sub.add_parser("storm")
    sp.add_argument("--conns", type=int, default=4)
    sp.add_argument("--count", type=int, default=200)
    sp.add_argument("--second", type=int, default=20)
    sp.add_argument("--kill", type=int, required=True)
    sp.add_argument("--skip-db", action="store_true")
    sp = sub.add_parser("http")
    sp.add_argument("path")
    args = p.parse_args()
    if args.cmd in ("ping", "probe", "refused", "maxconn", "storm") and not args.ca:
        p.error("--ca is required for TLS subcommands")
    {"ping": cmd_ping, "probe": cmd_probe, "plain": cmd_plain, "refused": cmd_refused,
     "maxconn": cmd_maxconn, "storm": cmd_storm, "http": cmd_http}[args.cmd](args)


if __name__ == "__main__":
    main()
