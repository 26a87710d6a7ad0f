#!/usr/bin/env python3
"""bench/report.py: turns the measurements bench/run.sh collected (one
"key value" per line) into the results table: metric, tamnongd, yardstick,
ratio, goal, met?. Prints it for a person and writes it as Markdown (to paste
into docs/performance.md). Goals are reported, never asserted: exit 0 unless
the input is unreadable.

Usage: report.py RESULTS.kv OUT.md
"""

import sys


def load(path):
    kv = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            k, _, v = line.partition(" ")
            kv[k] = v
    return kv


def num(kv, key):
    try:
        return float(kv[key])
    except (KeyError, ValueError):
        return None


def fmt(x, unit=""):
    if x is None:
        return "n/a"
    if unit == "ms":
        return f"{x / 1000:.3f}"  # stored in microseconds
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    if abs(x) >= 100:
        return f"{x:.0f}"
    return f"{x:.2f}" if abs(x) < 10 else f"{x:.1f}"


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def build_rows(kv):
    rows = []

    def row(metric, tn, yard, yard_name, goal="—", met=None, unit=""):
        r = ratio(tn, yard)
        rows.append(
            [
                metric,
                fmt(tn, unit),
                f"{fmt(yard, unit)} ({yard_name})" if yard is not None else "—",
                f"{r:.2f}×" if r is not None else "—",
                goal,
                "—" if met is None else ("yes" if met else "**no**"),
            ]
        )

    for inflight in (16, 64) if "tn_rps_64" in kv or "tn_rps_16" in kv else ():
        shape = kv.get(f"shape_{inflight}", "?").replace("x", " conn × ")
        tn = num(kv, f"tn_rps_{inflight}")
        rd = num(kv, f"rd_rps_{inflight}")
        r = ratio(tn, rd)
        row(f"Ping req/s, {inflight} in flight ({shape})", tn, rd, "redis-benchmark",
            "≥ 0.85× Redis", None if r is None else r >= 0.85)
        row(f"Ping req/s, {inflight} in flight, same client", tn,
            num(kv, f"rl_rps_{inflight}"), "loadgen → Redis")
        row(f"Ping p50 latency, {inflight} in flight (ms)", num(kv, f"tn_p50_{inflight}"),
            num(kv, f"rd_p50_{inflight}"), "redis-benchmark", unit="ms")
        tn99, rd99 = num(kv, f"tn_p99_{inflight}"), num(kv, f"rd_p99_{inflight}")
        r99 = ratio(tn99, rd99)
        if inflight == 64:
            row(f"Ping p99 latency, {inflight} in flight (ms)", tn99, rd99, "redis-benchmark",
                "≤ 2× Redis", None if r99 is None else r99 <= 2.0, unit="ms")
        else:
            row(f"Ping p99 latency, {inflight} in flight (ms)", tn99, rd99, "redis-benchmark",
                unit="ms")
        row(f"Server CPU per Ping, {inflight} in flight (µs)", num(kv, f"tn_cpu_us_{inflight}"),
            num(kv, f"rd_cpu_us_{inflight}"), "redis-server")
        row(f"Server core busy, {inflight} in flight (%)", num(kv, f"tn_busy_{inflight}"),
            num(kv, f"rd_busy_{inflight}"), "redis-server")

    for n in sorted(
        {int(k.split("_")[2]) for k in kv if k.startswith("tamnongd_idle_")}
    ):
        tn = num(kv, f"tamnongd_idle_{n}_kib_per_conn")
        row(f"Memory per idle TLS connection, {n:,} held (KiB)", tn,
            num(kv, f"redis_idle_{n}_kib_per_conn"), "redis-server", "≤ 16 KiB",
            None if tn is None else tn <= 16)

    big = max(
        (int(k.split("_")[2]) for k in kv if k.startswith("tamnongd_idle_")), default=None
    )
    if big is not None:
        row(f"Memory per idle TLS connection, {big:,} held, vs OpenSSL alone (KiB)",
            num(kv, f"tamnongd_idle_{big}_kib_per_conn"), num(kv, "floor_idle_kib"),
            "tls_floor heap")

    tn = num(kv, "tamnongd_hs_per_core")
    if tn is not None:
        tls_handshake_rows(kv, row, tn)
    submit_rows(kv, row)
    return rows


def tls_handshake_rows(kv, row, tn):
    row("Full TLS 1.3 handshakes per server core-second", tn, num(kv, "redis_hs_per_core"),
        "redis-server", "≥ 1,500/s", None if tn is None else tn >= 1500)
    row("Full TLS 1.3 handshakes per server core-second, vs OpenSSL alone", tn,
        num(kv, "floor_hs_per_core"), "tls_floor")
    row("Full TLS 1.3 handshakes/s observed (client on 1 core)", num(kv, "tamnongd_hs_rate"),
        num(kv, "redis_hs_rate"), "redis-server")
    row("Server core busy during handshakes (%)", num(kv, "tamnongd_hs_busy"),
        num(kv, "redis_hs_busy"), "redis-server")
    row("Handshake + first Ping, p50 (ms)", num(kv, "tamnongd_hs_p50"), num(kv, "redis_hs_p50"),
        "redis-server", unit="ms")


def submit_rows(kv, row):
    if "sub_tn_1_rps" in kv or "sub_pg_1_rps" in kv:
        counts = sorted({int(k.split("_")[2]) for k in kv if k.startswith("sub_tn_")})
        for c in counts:
            if c == 1:
                continue
            tn, pg = num(kv, f"sub_tn_{c}_rps"), num(kv, f"sub_pg_{c}_rps")
            r = ratio(tn, pg)
            goal = "≥ 0.75× pgbench" if c in (8, 64) else "—"
            row(f"Submit tx/s, {c} clients (one agency each)", tn, pg, "pgbench, same SQL", goal,
                None if r is None or goal == "—" else r >= 0.75)
            row(f"Submit p50 latency, {c} clients (ms)", num(kv, f"sub_tn_{c}_p50"),
                num(kv, f"sub_pg_{c}_p50"), "pgbench", unit="ms")
            row(f"Submit p99 latency, {c} clients (ms)", num(kv, f"sub_tn_{c}_p99"),
                num(kv, f"sub_pg_{c}_p99"), "pgbench", unit="ms")
            row(f"tamnongd CPU per Submit, {c} clients (µs)", num(kv, f"sub_tn_{c}_cpu_us"),
                None, "")
            row(f"tamnongd core busy, Submit, {c} clients (%)", num(kv, f"sub_tn_{c}_busy"),
                None, "")
        tn, pg = num(kv, "sub_tn_1_p50"), num(kv, "sub_pg_1_p50")
        r = ratio(tn, pg)
        row("Submit p50 latency, 1 client (ms)", tn, pg, "pgbench -c 1", "≤ 2× pgbench",
            None if r is None else r <= 2.0, unit="ms")
        row("Submit tx/s, 1 client", num(kv, "sub_tn_1_rps"), num(kv, "sub_pg_1_rps"),
            "pgbench -c 1")


HEADER = ["metric", "tamnongd", "yardstick", "ratio", "goal", "met?"]


def machine_lines(kv):
    return [
        f"Machine: {kv.get('machine_cpu', '?')}, {kv.get('machine_nproc', '?')} cores, "
        f"Linux {kv.get('machine_kernel', '?')}; {kv.get('machine_openssl', '?')}, "
        f"redis-server {kv.get('machine_redis', '?')}, PostgreSQL {kv.get('machine_pg', '?')}, "
        f"{kv.get('machine_tamnongd', 'tamnongd ?')}",
        f"Date: {kv.get('machine_date', '?')}; run took {kv.get('bench_seconds', '?')} s; "
        "servers pinned to core 0, load generators to core 1, both at "
        f"{kv.get('machine_prio', '?')}; other load on the machine "
        f"before/after the run: {kv.get('machine_load_before', '?')}% / "
        f"{kv.get('machine_load_after', '?')}% of both cores.",
    ] + ([
        f"Submit: tamnongd db_pool_size = {kv.get('submit_pool', '?')}; PostgreSQL "
        f"{kv.get('submit_durability', '?')}; report document "
        f"{kv.get('submit_doc_bytes', '?')} bytes; one request in flight per client."
    ] if "submit_pool" in kv else [])


def text_table(rows):
    plain = [[c.replace("**", "") for c in r] for r in rows]
    widths = [max(len(r[i]) for r in plain + [HEADER]) for i in range(len(HEADER))]
    out = ["  ".join(h.ljust(w) for h, w in zip(HEADER, widths))]
    out.append("  ".join("-" * w for w in widths))
    for r in plain:
        out.append("  ".join(c.ljust(w) for c, w in zip(r, widths)))
    return "\n".join(out)


def md_table(rows):
    out = ["| " + " | ".join(HEADER) + " |", "|" + "|".join(["---"] * len(HEADER)) + "|"]
    for r in rows:
        out.append("| " + " | ".join(r) + " |")
    return "\n".join(out)


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    kv = load(sys.argv[1])
    rows = build_rows(kv)
    print()
    for line in machine_lines(kv):
        print(line)
    print()
    print(text_table(rows))
    missed = [r[0] for r in rows if r[5] == "**no**"]
    print()
    print("goals missed: " + ("; ".join(missed) if missed else "none"))
    with open(sys.argv[2], "w", encoding="utf-8") as f:
        for line in machine_lines(kv):
            f.write(line + "\n\n")
        f.write(md_table(rows) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
