#!/usr/bin/env python3
"""rpc.py: call any method of service Tamnong by name, with messages written
as JSON, for the integration tests (stdlib only; messages are encoded and
decoded by hand from the field numbers read out of proto/tamnong.proto).

    rpc.py --port P --ca CA --cert C --key K 'STEPS' (or @FILE holding them)

STEPS is a JSON list; each step is {"m": "Submit", "msg": {...}} (one call on
the current connection) or {"reconnect": true} (drop the connection without a
goodbye and open a new one). A single object is one step. --session-token HEX
sends a person's session with every call; a step's "token": HEX (or "" for
none) overrides it for that call. Field values:
strings as JSON strings (encoded UTF-8; a NUL is "\\u0000"), or {"hex": "..."}
for raw bytes (invalid UTF-8); bytes fields as hex strings, or {"file": PATH,
"start": S, "len": N} for a piece of a file; repeated fields as lists; nested
messages as objects. {"wait_file": PATH} waits (up to --timeout) until PATH
exists, keeping the connection open (a test acts meanwhile). Prints one JSON list: per call {"status", "message",
"resp"} (resp decoded with the output type, defaults filled in).
A Submit step may carry "sign": {"cert": PEM, "key": PEM, "over": {...}}:
its signature field is then a detached CMS signature (openssl cms) over the
canonical bytes of "over" (default: the message itself). Exit 0 when
every call answered, 1 on a connection error (printed as {"error"}).
"""

import argparse
import json
import os
import re
import socket
import ssl
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wire  # noqa: E402

PROTO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../proto/tamnong.proto")
SCALARS = {"int32", "int64", "uint32", "uint64", "bool", "string", "bytes"}


def load_proto(path):
    text = re.sub(r"//[^\n]*", "", open(path, encoding="utf-8").read())
    messages = {}
    for m in re.finditer(r"message\s+(\w+)\s*\{([^}]*)\}", text):
        fields = {}
        for f in re.finditer(r"(repeated\s+)?(\w+)\s+(\w+)\s*=\s*(\d+)\s*;", m.group(2)):
            fields[f.group(3)] = (int(f.group(4)), f.group(2), bool(f.group(1)))
        messages[m.group(1)] = fields
    methods = [(g[0], g[1], g[2]) for g in
               re.findall(r"rpc\s+(\w+)\s*\((\w+)\)\s*returns\s*\((\w+)\)", text)]
    return messages, methods


MESSAGES, METHODS = load_proto(PROTO)


def enc_varint(n):
    if n < 0:
        n += 1 << 64
    return wire.varint(n)


def raw_bytes(v, is_string):
    if isinstance(v, dict):
        if "hex" in v:
            return bytes.fromhex(v["hex"])
        if "file" in v:
            with open(v["file"], "rb") as f:
                f.seek(v.get("start", 0))
                return f.read(v.get("len", -1))
        raise ValueError("bad bytes value %r" % v)
    return v.encode("utf-8") if is_string else bytes.fromhex(v)


def encode(mtype, obj):
    fields = MESSAGES[mtype]
    out = b""
    for name, value in obj.items():
        if name not in fields:
            raise ValueError("%s has no field %s" % (mtype, name))
        num, ftype, repeated = fields[name]
        for v in (value if repeated else [value]):
            if ftype in ("string", "bytes"):
                b = raw_bytes(v, ftype == "string")
                out += wire.varint((num << 3) | 2) + wire.varint(len(b)) + b
            elif ftype in SCALARS or ftype == "Status":
                out += wire.varint(num << 3) + enc_varint(int(v))
            else:
                b = encode(ftype, v)
                out += wire.varint((num << 3) | 2) + wire.varint(len(b)) + b
    return out


def canonical(mtype, obj):
    """The message as protobuf-c packs it (docs/protocol.md, "Signed
    reports"): fields in field-number order, proto3 defaults (empty string or
    bytes, 0, false) left out; nested messages always."""
    fields = MESSAGES[mtype]
    out = b""
    for name in sorted(obj, key=lambda n: fields[n][0]):
        num, ftype, repeated = fields[name]
        value = obj[name]
        for v in (value if repeated else [value]):
            if ftype in ("string", "bytes"):
                b = raw_bytes(v, ftype == "string")
                if b or repeated:
                    out += wire.varint((num << 3) | 2) + wire.varint(len(b)) + b
            elif ftype in SCALARS or ftype == "Status":
                if int(v) or repeated:
                    out += wire.varint(num << 3) + enc_varint(int(v))
            else:
                b = canonical(ftype, v)
                out += wire.varint((num << 3) | 2) + wire.varint(len(b)) + b
    return out


def sign_submit(msg, spec):
    """A detached CMS signature (openssl cms, SHA-256, DER) by spec["cert"] /
    spec["key"] over the canonical bytes of spec.get("over", msg) without
    request_uuid and signature."""
    over = dict(spec.get("over", msg))
    over.pop("request_uuid", None)
    over.pop("signature", None)
    data = canonical("SubmitRequest", over)
    r = subprocess.run(["openssl", "cms", "-sign", "-binary", "-md", "sha256", "-outform", "DER",
                        "-signer", spec["cert"], "-inkey", spec["key"]],
                       input=data, stdout=subprocess.PIPE, check=True)
    return r.stdout.hex()


def decode(mtype, buf):
    fields = MESSAGES[mtype]
    bynum = {num: (name, ftype, rep) for name, (num, ftype, rep) in fields.items()}
    out = {}
    for name, (num, ftype, rep) in fields.items():
        if rep:
            out[name] = []
        elif ftype == "string":
            out[name] = ""
        elif ftype == "bytes":
            out[name] = ""
        elif ftype == "bool":
            out[name] = False
        elif ftype in SCALARS or ftype == "Status":
            out[name] = 0
        else:
            out[name] = None
    raw = wire.decode(buf)
    for num, values in raw.items():
        if num not in bynum:
            continue
        name, ftype, rep = bynum[num]
        conv = []
        for v in values:
            if ftype == "string":
                conv.append(v.decode("utf-8", "backslashreplace"))
            elif ftype == "bytes":
                conv.append(v.hex())
            elif ftype == "bool":
                conv.append(bool(v))
            elif ftype in ("int32", "int64"):
                conv.append(v - (1 << 64) if v >= 1 << 63 else v)
            elif ftype in SCALARS or ftype == "Status":
                conv.append(v)
            else:
                conv.append(decode(ftype, v))
        out[name] = conv if rep else conv[-1]
    return out


class Conn:
    def __init__(self, args):
        self.args = args
        self.s = wire.tls_connect(args)
        self.reader = b""
        self.next_id = 1
        # Until the server has identified the certificate it takes only small
        # frames: a ping answered means identified.
        self.call("Ping", {"skip_database": True})

    def call(self, method, msg, token=None):
        idx = [m[0] for m in METHODS].index(method)
        _, in_type, out_type = METHODS[idx]
        rid = self.next_id
        self.next_id += 1
        if token is None:
            token = self.args.session_token
        self.s.sendall(wire.frame(wire.request(rid, idx, encode(in_type, msg),
                                               session_token=bytes.fromhex(token or ""))))
        self.s.settimeout(self.args.timeout)
        while True:
            if len(self.reader) >= 4:
                (n,) = struct.unpack(">I", self.reader[:4])
                if len(self.reader) >= 4 + n:
                    body, self.reader = self.reader[4:4 + n], self.reader[4 + n:]
                    break
            data = self.s.recv(1 << 20)
            if not data:
                raise ConnectionError("connection closed by the server")
            self.reader += data
        f = wire.decode(body)
        status = f.get(2, [0])[0]
        r = {"status": wire.STATUS.get(status, str(status)),
             "message": f.get(3, [b""])[0].decode("utf-8", "replace")}
        payload = f.get(5, [b""])[0]
        r["resp"] = decode(out_type, payload) if status == 0 else None
        return r

    def drop(self):
        # No close_notify: the way a network cut looks to the server.
        try:
            self.s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.s.close()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--ca", required=True)
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--server-name", default="localhost")
    p.add_argument("--timeout", type=float, default=20.0)
    p.add_argument("--session-token", default="", help="hex session token to send")
    p.add_argument("steps", help="the JSON, or @FILE to read it from a file")
    args = p.parse_args()
    if args.steps.startswith("@"):
        with open(args.steps[1:], encoding="utf-8") as f:
            steps = json.load(f)
    else:
        steps = json.loads(args.steps)
    if isinstance(steps, dict):
        steps = [steps]
    results = []
    try:
        c = Conn(args)
        for st in steps:
            if st.get("reconnect"):
                c.drop()
                c = Conn(args)
                continue
            if st.get("touch_file"):  # tell the test this point was reached
                open(st["touch_file"], "w").close()
                continue
            if st.get("wait_file"):
                waited = 0.0
                while not os.path.exists(st["wait_file"]) and waited < args.timeout:
                    time.sleep(0.05)
                    waited += 0.05
                continue
            msg = st.get("msg", {})
            if st.get("sign"):
                msg = dict(msg, signature=sign_submit(msg, st["sign"]))
            results.append(c.call(st["m"], msg, st.get("token")))
        c.s.close()
    except (OSError, ssl.SSLError, ConnectionError) as e:
        results.append({"error": type(e).__name__ + ": " + str(e)})
        print(json.dumps(results, ensure_ascii=False))
        sys.exit(1)
    print(json.dumps(results, ensure_ascii=False))


if __name__ == "__main__":
    main()
