#!/usr/bin/env python3
"""make-corpus: write the seed corpus of tests/fuzz/fuzz_envelope.c into
tests/fuzz/corpus/. Protobuf is encoded by hand (stdlib only) following
proto/tamnong.proto, so the seeds do not depend on the code under test.
Run from anywhere: python3 tests/fuzz/make-corpus.py"""

import os
import struct

VARINT, LEN = 0, 2


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


def field(num, wire, value):
    key = varint(num << 3 | wire)
    if wire == VARINT:
        return key + varint(value)
    return key + varint(len(value)) + value


def request(id_, method=0, deadline_ms=0, token=b"", payload=b""):
    """Request: id=1, method=2, deadline_ms=3, session_token=4, payload=5."""
    out = b""
    if id_:
        out += field(1, VARINT, id_)
    if method:
        out += field(2, VARINT, method)
    if deadline_ms:
        out += field(3, VARINT, deadline_ms)
    if token:
        out += field(4, LEN, token)
    if payload:
        out += field(5, LEN, payload)
    return out


def response(id_, status, message=b"", server_time_ms=0, payload=b"", retry_after_ms=0):
    """Response: id=1, status=2, message=3, server_time_ms=4, payload=5, retry_after_ms=6."""
    out = field(1, VARINT, id_)
    if status:
        out += field(2, VARINT, status)
    if message:
        out += field(3, LEN, message)
    if server_time_ms:
        out += field(4, VARINT, server_time_ms)
    if payload:
        out += field(5, LEN, payload)
    if retry_after_ms:
        out += field(6, VARINT, retry_after_ms)
    return out


def frame(body):
    return struct.pack(">I", len(body)) + body


PING_SKIP_DB = field(1, VARINT, 1)  # PingRequest{skip_database: true}
PING = b""  # PingRequest{} (touches the database)
N_METHODS = 1  # methods in service Tamnong today: Ping

ping_frame = frame(request(1, 0, 1000, payload=PING_SKIP_DB))

SEEDS = {
    "ping_request": ping_frame,
    "ping_database": frame(request(7, 0, 0, token=b"tok", payload=PING)),
    "two_frames": ping_frame + frame(request(2, 0, 250, payload=PING)),
    "truncated": ping_frame[: len(ping_frame) - 3],
    "truncated_header": ping_frame[:2],
    "zero_length": struct.pack(">I", 0),
    "zero_after_frame": ping_frame + struct.pack(">I", 0),
    "oversized_header": struct.pack(">I", 0xFFFFFFFF) + b"\x08\x01",
    "over_max": struct.pack(">I", 64 * 1024 + 1) + b"\x08\x01",
    "bad_method_n": frame(request(3, N_METHODS, payload=PING_SKIP_DB)),
    "bad_method_max": frame(request(4, 0xFFFFFFFF, payload=PING_SKIP_DB)),
    "id_zero": frame(request(0, 0, payload=PING_SKIP_DB)),
    "bad_payload": frame(request(5, 0, payload=b"\x08")),
    "truncated_envelope": frame(request(6, 0, payload=PING_SKIP_DB)[:-1]),
    "unknown_field": frame(request(8, 0, payload=PING_SKIP_DB) + field(99, VARINT, 1)),
    # protobuf-c accepts field 0 behind an overlong tag (80 00) but not as 00.
    "overlong_tag_zero": frame(request(44) + b"\x80\x00\x00"),
    "response_ok": response(1, 0, server_time_ms=1700000000000,
                            payload=field(1, LEN, b"0.1") + field(2, VARINT, 1700000000000)),
    "response_unavailable": response(9, 14, b"database unavailable", 1700000000000,
                                     retry_after_ms=500),
}


def main():
    out_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
    os.makedirs(out_dir, exist_ok=True)
    for name, data in sorted(SEEDS.items()):
        with open(os.path.join(out_dir, name + ".bin"), "wb") as f:
            f.write(data)
    print("wrote %d seeds to %s" % (len(SEEDS), out_dir))


if __name__ == "__main__":
    main()
