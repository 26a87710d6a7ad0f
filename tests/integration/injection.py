#!/usr/bin/env python3
"""injection.py: the driver of test_injection.sh. Puts SQL-injection payloads,
invalid UTF-8, NULs, odd quotes and very long strings into every text field of
every state-changing request (Submit, TaskUpdate, Review, PlanImport,
AttachmentStatus/Chunk) through rpc.py, and checks each answer: OK and the
text reads back byte for byte, or a refusal (INVALID_ARGUMENT, NOT_FOUND,
FAILED_PRECONDITION) whose message names the field. Prints a JSON summary
(accepted calls per method, request ids of the refused state-changing calls)
for the shell script's table counts. Exit 1 on the first wrong answer.

    injection.py --port P --ca CA --pki DIR --sha SHA --size N --tmp DIR
"""

import argparse
import json
import os
import subprocess
import sys

RPC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "rpc.py")

PAYLOADS = [
    b"'; DROP TABLE submission; --",
    b"\\' OR 1=1 --",
    b"$$; DELETE FROM request_log; $$",
    b"Robert'); DELETE FROM task_status WHERE ('1'='1",
    b"1); SELECT pg_sleep(5); --",
    "\u2019 OR \u20181\u2019=\u20181 \u02bc; \uff07 DROP \u201c\u201d".encode(),
    b"%s%n%x {\"error\": {\"status\": \"OK\"}} \\u0000 \\x00",
    b"E'\\\\x41' || chr(0) || '",
    b"abc\x00def",                          # NUL
    b"\xff\xfe broken",                     # invalid UTF-8
    b"\xc3\x28 \xed\xa0\x80 \xf4\x90\x80\x80",  # bad sequence, surrogate, > U+10FFFF
    b"\xc0\xaf overlong",
    ("\u1ea0" * 12000).encode(),            # 36000 bytes: longer than any limit
    ("x'" * 70000).encode(),                # 140000 bytes
]
REFUSALS = {"INVALID_ARGUMENT", "NOT_FOUND", "FAILED_PRECONDITION"}


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def valid_text(p):
    try:
        p.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return b"\x00" not in p


def show(p):
    return repr(p[:60]) + ("...(%d bytes)" % len(p) if len(p) > 60 else "")


class Caller:
    def __init__(self, args):
        self.args = args
        self.n = 5000
        self.accepted = {}
        self.refused_uuids = []

    def uuid(self):
        self.n += 1
        return "%032x" % self.n

    def token_args(self, code):
        for t in self.args.token:
            c, _, tok = t.partition("=")
            if c == code and tok:
                return ["--session-token", tok]
        return []

    def call(self, code, steps):
        a = self.args
        pki = a.pki
        path = os.path.join(a.tmp, "injection-steps.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(steps, f)
        out = subprocess.run(
            ["python3", RPC, "--port", str(a.port), "--ca", a.ca,
             "--cert", os.path.join(pki, "agencies", code + ".pem"),
             "--key", os.path.join(pki, "agencies", code + ".key"),
             "--timeout", "60"] + self.token_args(code) + ["@" + path],
            capture_output=True, text=True, timeout=300)
        if out.returncode != 0:
            fail("rpc.py as %s: %s %s" % (code, out.stdout[-500:], out.stderr[-500:]))
        return json.loads(out.stdout)

    def judge(self, what, field, payload, answer, method, uuid):
        st, msg = answer["status"], answer["message"]
        if st == "OK":
            if not valid_text(payload):
                fail("%s: %s accepted with %s" % (what, field, show(payload)))
            self.accepted[method] = self.accepted.get(method, 0) + 1
            return True
        if st not in REFUSALS:
            fail("%s: %s=%s -> %s %s" % (what, field, show(payload), st, msg))
        leaf = field.split(".")[-1].split("[")[0]
        if leaf not in msg:
            fail("%s: %s=%s refused (%s) without naming the field: %s"
                 % (what, field, show(payload), st, msg))
        if uuid:
            self.refused_uuids.append(uuid)
        return False


def hx(p):
    return {"hex": p.hex()}


def submit_doc(c, sha, size):
    return {"request_uuid": c.uuid(), "period_code": "2026-annual",
            "values": [{"key": "ocop_products", "value": "12", "note": "ghi chú"},
                       {"key": "clean_water_share", "numerator": "4500", "denominator": "5000"}],
            "results": "Kết quả", "difficulties": "", "recommendations": "", "proposals": "",
            "attachments": [{"sha256": sha, "size": size, "name": "tệp.bin",
                             "content_type": "application/octet-stream"}],
            "tasks": [{"task_code": "III.1.c", "status": "in_progress", "progress": 40,
                       "note": "đang làm"}]}


# (field path, setter, getter on the SubmissionGet response or None)
def submit_fields():
    def top(name):
        return (name, lambda d, v: d.__setitem__(name, v), lambda r: r[name])

    def sub(lst, i, name, read=True):
        return ("%s[%d].%s" % (lst, i, name),
                lambda d, v: d[lst][i].__setitem__(name, v),
                (lambda r: r[lst][i][name]) if read else None)
    return [top("results"), top("difficulties"), top("recommendations"), top("proposals"),
            ("period_code", lambda d, v: d.__setitem__("period_code", v), None),
            sub("values", 0, "note"), sub("values", 0, "key"), sub("values", 0, "value"),
            sub("values", 1, "numerator"), sub("values", 1, "denominator"),
            sub("attachments", 0, "name"), sub("attachments", 0, "content_type"),
            sub("attachments", 0, "sha256"),
            sub("tasks", 0, "task_code"), sub("tasks", 0, "status"), sub("tasks", 0, "note")]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--ca", required=True)
    p.add_argument("--pki", required=True)
    p.add_argument("--sha", required=True)
    p.add_argument("--size", type=int, required=True)
    p.add_argument("--tmp", required=True)
    p.add_argument("--token", action="append", default=[],
                   help="CODE=HEX: the session token of a person logged in at CODE")
    a = p.parse_args()
    c = Caller(a)

    # Submit: one batch of calls, then the accepted ones read back.
    steps, meta = [], []
    for field, setter, getter in submit_fields():
        for pl in PAYLOADS:
            d = submit_doc(c, a.sha, a.size)
            setter(d, hx(pl))
            steps.append({"m": "Submit", "msg": d})
            meta.append((field, getter, pl, d["request_uuid"]))
    answers = c.call("UBND-A", steps)
    reads, read_meta = [], []
    for (field, getter, pl, uuid), ans in zip(meta, answers):
        if c.judge("Submit", field, pl, ans, "Submit", uuid) and getter:
            reads.append({"m": "SubmissionGet",
                          "msg": {"submission_id": ans["resp"]["submission_id"]}})
            read_meta.append((field, getter, pl))
    last_sid = None
    for (field, getter, pl), ans in zip(read_meta, c.call("UBND-A", reads) if reads else []):
        if ans["status"] != "OK":
            fail("SubmissionGet after Submit with %s: %s" % (field, ans))
        got = getter(ans["resp"])
        if got != pl.decode("utf-8"):
            fail("Submit: %s stored %s, read back %s" % (field, show(pl), show(got.encode())))
        last_sid = ans["resp"]["summary"]["state"]["submission_id"]
    if last_sid is None:
        fail("no Submit was accepted at all")

    # TaskUpdate: one call at a time (each accepted one moves the version).
    version = None
    for field in ("note", "evidence[0]", "task_code", "status"):
        for pl in PAYLOADS:
            if version is None:
                r = c.call("UBND-A", {"m": "Pull", "msg": {"plan_version": 0, "since": 0}})[0]
                version = max([s["version"] for s in r["resp"]["task_statuses"]
                               if s["task_code"] == "III.1.c"] or [0])
            d = {"request_uuid": c.uuid(), "task_code": "III.1.c", "status": "in_progress",
                 "progress": 50, "note": "", "base_version": version}
            if field == "evidence[0]":
                d["evidence"] = [hx(pl)]
            else:
                d[field] = hx(pl)
            ans = c.call("UBND-A", [{"m": "TaskUpdate", "msg": d},
                                    {"m": "Pull", "msg": {"plan_version": 0, "since": 0}}])
            if c.judge("TaskUpdate", field, pl, ans[0], "TaskUpdate", d["request_uuid"]):
                version = ans[0]["resp"]["version"]
                st = [s for s in ans[1]["resp"]["task_statuses"] if s["task_code"] == "III.1.c"]
                got = st[0]["evidence"][0] if field == "evidence[0]" else st[0][field]
                if got != pl.decode("utf-8"):
                    fail("TaskUpdate: %s stored %s, read back %s"
                         % (field, show(pl), show(got.encode())))

    # Review by the standing agency: reason and decision, read back.
    steps, meta = [], []
    for field in ("reason", "decision"):
        for pl in PAYLOADS:
            d = {"request_uuid": c.uuid(), "submission_id": last_sid, "decision": "return",
                 "reason": "lý do"}
            d[field] = hx(pl)
            steps += [{"m": "Review", "msg": d},
                      {"m": "SubmissionGet", "msg": {"submission_id": last_sid}}]
            meta.append((field, pl, d["request_uuid"]))
    answers = c.call("SNN", steps)
    for i, (field, pl, uuid) in enumerate(meta):
        rev, got = answers[2 * i], answers[2 * i + 1]
        if c.judge("Review", field, pl, rev, "Review", uuid) and field == "reason":
            reason = got["resp"]["summary"]["state"]["reason"]
            if reason != pl.decode("utf-8"):
                fail("Review: reason stored %s, read back %s" % (show(pl), show(reason.encode())))

    # Attachments: the hash is the only text.
    steps, meta = [], []
    for pl in PAYLOADS:
        steps.append({"m": "AttachmentStatus", "msg": {"sha256": hx(pl), "size": 10}})
        steps.append({"m": "AttachmentChunk", "msg": {"sha256": hx(pl), "size": 2, "offset": 0,
                                                      "data": "0000"}})
        meta += [("AttachmentStatus", pl), ("AttachmentChunk", pl)]
    for (m, pl), ans in zip(meta, c.call("UBND-A", steps)):
        if ans["status"] == "OK":
            fail("%s accepted sha256=%s" % (m, show(pl)))
        c.judge(m, "sha256", pl, ans, m, None)

    # PlanImport (operator): payloads in the file name and inside the plan
    # (a task's title); last, as an accepted one makes a new plan version.
    plan = open(os.path.join(a.tmp, "report.plan"), "rb").read()
    steps, meta = [], []
    for pl in PAYLOADS:
        steps.append({"m": "PlanImport", "msg": {"file_name": hx(pl), "content": plan.hex()}})
        meta.append(("file_name", pl))
        if b"\n" not in pl and len(pl) < 1000:
            content = plan.replace("title = Việc thứ nhất".encode(), b"title = " + pl, 1)
            steps.append({"m": "PlanImport", "msg": {"file_name": "p.plan",
                                                     "content": content.hex()}})
            meta.append(("content", pl))
    for (field, pl), ans in zip(meta, c.call("OPS", steps)):
        st, msg = ans["status"], ans["message"]
        if st == "OK":
            c.accepted["PlanImport"] = c.accepted.get("PlanImport", 0) + 1
            if not valid_text(pl):
                fail("PlanImport accepted %s in %s" % (show(pl), field))
        elif st != "INVALID_ARGUMENT" or (field == "file_name" and "file_name" not in msg) \
                or (field == "content" and "line" not in msg):
            fail("PlanImport %s=%s -> %s %s" % (field, show(pl), st, msg))

    print(json.dumps({"accepted": c.accepted, "refused_uuids": c.refused_uuids}))


if __name__ == "__main__":
    main()
