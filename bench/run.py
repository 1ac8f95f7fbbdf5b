#!/usr/bin/env python3
"""Procura benchmark: one command, one table.

    python3 bench/run.py                      # SQLite, self-started server
    python3 bench/run.py --database postgres://postgres@127.0.0.1:5432/bench
    python3 bench/run.py --scale              # flat cost: 10,000 vs 1,000,000 orders
    python3 bench/run.py --load-policy batch  # wrk as SCHED_BATCH: the load generator's share

It builds the binary and the seeder in the `dist` profile, loads a fresh database (bench_seed), starts
`procura serve` on it, runs each workload with wrk (2 threads, 64 connections by default, the
load generator on the same machine), and prints requests/s, latency percentiles, errors and the
server's peak RSS. Every figure is also given as a ratio to /healthz, measured in the same run
right before and right after that workload.
Needs: cargo, wrk (Debian package `wrk`), aiosmtpd (`pip install aiosmtpd`, for the send workload).
"""

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The `dist` profile (Cargo.toml): what a packager ships, optimised across crates.
BIN = os.path.join(ROOT, "target", "dist", "procura")
SEED = os.path.join(ROOT, "target", "dist", "examples", "bench_seed")
SINK = os.path.join(ROOT, "target", "dist", "examples", "bench_sink")


def batch_policy():
    """Runs the load generator as a batch job (`SCHED_BATCH`): woken by an answer, it waits for
    its turn instead of preempting the server in the middle of the next request. With both on the
    same two cores, those preemptions (a thread switch each way) are part of every figure; this
    shows how large a part (docs/performance.md, "The load generator's share")."""
    os.sched_setscheduler(0, os.SCHED_BATCH, os.sched_param(0))


# How wrk is scheduled (--load-policy).
LOAD_POLICIES = {"batch": batch_policy, "normal": None}

# The budgets on SQLite (docs/performance.md, "The targets"): the least ratio to /healthz a
# workload must reach, and the p99 every workload must stay under. They are reported, not
# enforced: on these shared machines a run can miss one by the machine's drift alone.
TARGET_RATIOS = {"create PO (3 lines)": 0.30, "get PO by id": 0.60, "list page of 50 (status=draft)": 0.15}
TARGET_P99_MS = 10.0
# A PDF takes a millisecond or two of CPU, and renders one per core: 64 clients asking for PDFs
# at once wait for each other.
KEYED_CREATE = "create PO with a fresh Idempotency-Key"
DOCUMENT = "order summary PDF"
SEND = "send an order to its supplier"
# A send's ratio as a share of the order summary's, same run: it renders the same PDF, then
# queues it as a mail.
SEND_BUDGET = 0.80
P99_MS = {DOCUMENT: 200.0, SEND: 200.0}
REVERSAL = "reverse a receipt"
# A reversal's ratio as a share of a receipt's, same run: it does a receipt's work backwards.
REVERSAL_BUDGET = 0.80
# A keyed create's requests/s as a share of a plain create's, both measured again alternating.
KEYED_CREATE_BUDGET = 0.90
# A write's requests/s with one webhook subscribed as a share of the same write's without.
WEBHOOK_BUDGET = 0.85

# Seconds of each workload run unmeasured on each server before a --scale run.
WARM_UP = 3


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, cwd=ROOT, **kw)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fresh_database(args, workdir, name):
    """A database URL nobody has used: a new SQLite file, or a new PostgreSQL database."""
    if args.database.startswith("postgres"):
        base, _, _ = args.database.rpartition("/")
        db = f"procura_bench_{name}_{os.getpid()}"
        sh(["psql", args.database, "-qc", f"DROP DATABASE IF EXISTS {db}"], stdout=subprocess.DEVNULL)
        sh(["psql", args.database, "-qc", f"CREATE DATABASE {db}"], stdout=subprocess.DEVNULL)
        return f"{base}/{db}", lambda: sh(["psql", args.database, "-qc", f"DROP DATABASE IF EXISTS {db} WITH (FORCE)"],
                                         stdout=subprocess.DEVNULL)
    return os.path.join(workdir, f"{name}.db"), lambda: None


def seed(database, orders, open_orders, receipts=0, receipts_file=None):
    started = time.time()
    cmd = [SEED, "--database", database, "--orders", str(orders), "--open", str(open_orders)]
    if receipts:
        cmd += ["--receipts", str(receipts), "--receipts-file", receipts_file]
    out = sh(cmd, stdout=subprocess.PIPE, text=True).stdout
    info = json.loads(out.strip().splitlines()[-1])
    info["seconds"] = time.time() - started
    return info


class Server:
    def __init__(self, database, smtp_url=None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # Webhooks: the webhook-cost workload's receiver listens on 127.0.0.1.
        env = dict(os.environ, RUST_LOG="warn", PROCURA_WEBHOOK_ALLOW_PRIVATE="true")
        cmd = [BIN, "--database", database, "serve", "--listen", f"127.0.0.1:{self.port}"]
        if smtp_url:
            cmd += ["--smtp-url", smtp_url]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=ROOT)
        for _ in range(200):
            try:
                urllib.request.urlopen(self.url + "/healthz", timeout=1).read()
                return
            except OSError:
                time.sleep(0.05)
        raise SystemExit("procura serve did not start: " + self.proc.stderr.read().decode())

    def peak_rss_mb(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        return 0.0

    def cpu_seconds(self):
        """User + system CPU time the server has used so far."""
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=30)


# The send workload's SMTP server: accepts every message and keeps nothing (aiosmtpd, which
# .ci/run installs for the send tests).
SMTP_SINK = """
import socket, sys, time
from aiosmtpd.controller import Controller
class Sink:
    async def handle_DATA(self, server, session, envelope):
        return "250 Message accepted"
with socket.socket() as probe:
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
controller = Controller(Sink(), hostname="127.0.0.1", port=port)
controller.start()
print(port, flush=True)
sys.stdin.read()
controller.stop()
"""


def smtp_sink():
    """Starts the SMTP sink; returns the process and the `--smtp-url` that reaches it."""
    proc = subprocess.Popen([sys.executable, "-c", SMTP_SINK], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True)
    port = proc.stdout.readline().strip()
    if not port:
        raise SystemExit("the SMTP sink did not start: pip install aiosmtpd")
    return proc, f"smtp://127.0.0.1:{port}?tls=none"


def wrk(url, script, script_args, args, duration=None):
    cmd = ["wrk", "-t", str(args.threads), "-c", str(args.connections), "-d", f"{duration or args.duration}s",
           "--latency", "-s", os.path.join("bench", "lua", script), url + "/", "--"] + [str(a) for a in script_args]
    out = sh(cmd, stdout=subprocess.PIPE, text=True, preexec_fn=LOAD_POLICIES[args.load_policy]).stdout
    for line in out.splitlines():
        if line.startswith("BENCH "):
            r = json.loads(line[len("BENCH "):])
            r["rps"] = r["requests"] / (r["duration_us"] / 1e6)
            return r
    raise SystemExit("wrk printed no summary:\n" + out)


def get_json(url, key):
    req = urllib.request.Request(url, headers={"API-Key": key})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.load(resp)


def ms(us):
    return f"{us / 1000:.2f}"


def table(title, baseline, rows, how=None):
    """`baseline` sums up every /healthz run; each row's ratio is to the baseline runs around it.
    `how` says where /healthz ran, when not before each workload and after the last."""
    print(f"\n{title}")
    print("| workload | requests/s | ratio to /healthz | p50 ms | p99 ms | p99.9 ms | errors | server CPU us/req "
          "| peak RSS MB |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, r in [("baseline GET /healthz", baseline)] + rows:
        cpu = f"{r['cpu_us']:.0f}" if "cpu_us" in r else "-"
        print(f"| {name} | {r['rps']:,.0f} | {r['rps'] / r['baseline']:.2f} | {ms(r['p50_us'])} | {ms(r['p99_us'])} | "
              f"{ms(r['p999_us'])} | {r['errors']} | {cpu} | {r['rss']:.0f} |")
    runs = baseline["runs"]
    how = how or ("before each workload and after the last. Each ratio is to the mean of the two runs around "
                  "its workload, so that the machine's drift during the run cancels out")
    print(f"\n/healthz ran {len(runs)} times, {min(runs):,.0f} to {max(runs):,.0f} requests/s, {how}.")


def budgets(rows):
    """Each workload against its budget."""
    print("\n| workload | budget | result |")
    print("|---|---|---|")
    for name, r in rows:
        ratio, p99 = r["rps"] / r["baseline"], r["p99_us"] / 1000
        most = P99_MS.get(name, TARGET_P99_MS)
        wanted = [f"p99 <= {most:.0f} ms"]
        met = p99 <= most
        if name in TARGET_RATIOS:
            wanted.insert(0, f"ratio >= {TARGET_RATIOS[name]:.2f}")
            met = met and ratio >= TARGET_RATIOS[name]
        print(f"| {name} | {', '.join(wanted)} | {'met' if met else 'missed'} ({ratio:.2f}, p99 {p99:.2f} ms) |")
    ratios = {name: r["rps"] / r["baseline"] for name, r in rows}
    for name, of, least in [(REVERSAL, "receive 1 unit", REVERSAL_BUDGET), (SEND, DOCUMENT, SEND_BUDGET)]:
        if name in ratios and of in ratios:
            share = ratios[name] / ratios[of]
            print(f"| {name} | >= {least:.2f} of {of} | {'met' if share >= least else 'missed'} ({share:.2f}) |")
    # The web app's orders page against the API's list of the same 50 orders: server CPU.
    cpu = {name: r["cpu_us"] for name, r in rows}
    page, api = cpu.get("web orders page of 50 (status=draft)"), cpu.get("list page of 50 (status=draft)")
    if page and api:
        print(f"| web orders page of 50 | server CPU <= 2x the API list's | "
              f"{'met' if page <= 2 * api else 'missed'} ({page:.0f} vs {api:.0f} us/req, {page / api:.2f}x) |")


def failed(baseline, rows):
    """How many requests failed in these runs."""
    return baseline["errors"] + sum(r["errors"] for _, r in rows)


def bracketed(measure, steps):
    """Measures /healthz before each step and after the last. Returns the baseline summed up and
    the steps' results, each with `baseline`: the mean of the two /healthz runs around it."""
    before = measure("baseline GET /healthz", "healthz.lua", [])
    baselines, rows = [before], []
    for name, script, script_args in steps:
        r = measure(name, script, script_args)
        after = measure("baseline GET /healthz", "healthz.lua", [])
        r["baseline"] = (before["rps"] + after["rps"]) / 2
        rows.append((name, r))
        baselines.append(after)
        before = after
    # The RSS before any workload ran.
    return baseline_summary(baselines, rss=baselines[0]["rss"]), rows


def baseline_summary(baselines, **extra):
    """Every /healthz run as one row, its own baseline, with the rates of the runs."""
    summary = combined(baselines)
    summary.update(baseline=summary["rps"], runs=[b["rps"] for b in baselines], **extra)
    return summary


def combined(runs):
    """Several runs of one workload as one row: mean rates, latencies and CPU, summed errors, peak
    RSS."""
    mean = lambda field: sum(r[field] for r in runs) / len(runs)
    row = {field: mean(field) for field in ("rps", "p50_us", "p99_us", "p999_us", "cpu_us", "baseline")
           if field in runs[0]}
    row.update(errors=sum(r["errors"] for r in runs), rss=max(r["rss"] for r in runs))
    return row


def web_session(server, database, account):
    """A buyer of `account` signed in to the web app, for the orders page workload: created with
    `procura users create`, its password set through the link, signed in; returns the session
    token its cookie carries."""
    import http.client
    import re
    import urllib.parse
    out = sh([BIN, "--database", database, "users", "create", "--account", account,
              "--email", "bench-buyer@example.com", "--role", "buyer", "--public-url", server.url],
             stdout=subprocess.PIPE, text=True).stdout
    link = out.strip().splitlines()[-1]
    password = "bench password 1"

    def call(method, path, cookies, form=None):
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        for name, value in resp.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                cookies[key] = rest.split(";", 1)[0]
        text = resp.read().decode()
        conn.close()
        return resp.status, text

    cookies = {}
    path = link[len(server.url):]
    _, page = call("GET", path, cookies)
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page).group(1)
    call("POST", path, cookies, {"csrf": csrf, "password": password, "confirm": password})
    _, page = call("GET", "/app/sign-in", cookies)
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page).group(1)
    status, _ = call("POST", "/app/sign-in", cookies,
                     {"csrf": csrf, "email": "bench-buyer@example.com", "password": password})
    if status != 303 or "procura_session" not in cookies:
        raise SystemExit(f"the benchmark's buyer could not sign in ({status})")
    return cookies["procura_session"]


def workloads(args, workdir):
    database, drop = fresh_database(args, workdir, "workloads")
    # Drafts for the status workload: enough for --duration seconds at a high rate.
    drafts = max(args.orders, 40_000 * args.duration)
    # Receipts for the reversal workload, each reversed once: more than it can reverse in
    # --duration seconds.
    receipts_file = os.path.join(workdir, "receipts.txt")
    info = seed(database, drafts, args.open, 50_000 * args.duration, receipts_file)
    print(f"seeded {drafts:,} orders ({args.open:,} open) in {info['seconds']:.1f} s", file=sys.stderr)
    sink, smtp_url = smtp_sink()
    server = Server(database, smtp_url)
    key = info["key"]
    session = web_session(server, database, info["account_id"])
    # Mails to suppliers come from the account's email.
    req = urllib.request.Request(server.url + "/v2/account", method="PUT",
                                 data=json.dumps({"email": "purchasing@bench.example"}).encode(),
                                 headers={"API-Key": key, "Content-Type": "application/json"})
    urllib.request.urlopen(req, timeout=30).read()

    def measure(name, script, script_args):
        cpu = server.cpu_seconds()
        r = wrk(server.url, script, [key] + script_args, args)
        r["cpu_us"] = (server.cpu_seconds() - cpu) / max(r["requests"], 1) * 1e6
        r["rss"] = server.peak_rss_mb()
        print(f"  {name}: {r['rps']:,.0f} req/s, p99 {ms(r['p99_us'])} ms, errors {r['errors']}, "
              f"{r['cpu_us']:.0f} us CPU/req", file=sys.stderr)
        return r

    try:
        baseline, rows = bracketed(measure, [
            ("create PO (3 lines)", "create.lua", [info["supplier_id"], info["warehouse_id"]]),
            (KEYED_CREATE, "create.lua", [info["supplier_id"], info["warehouse_id"], "keyed"]),
            ("get PO by id", "order.lua", [info["open_first"], info["draft_last"]]),
            ("list page of 50 (status=draft)", "list.lua", []),
            # The web app's orders page of 50 beside the API's list of 50 (at most twice
            # its server CPU).
            ("web orders page of 50 (status=draft)", "page.lua", [session]),
            ("status change (draft -> open, then -> cancelled)", "status.lua",
             [info["draft_first"], info["draft_last"], args.threads]),
            ("receive 1 unit", "receive.lua", [info["open_first"], info["open_last"], info["location_id"]]),
            # A receipt reversed whole: its units back off the lines and the stock.
            (REVERSAL, "reverse.lua", [receipts_file, args.threads]),
            (DOCUMENT, "order.lua", [info["open_first"], info["open_last"], "/documents/order_summary"]),
            # Rendered, then queued as a mail that the server's mailer sends to the SMTP sink.
            (SEND, "order.lua", [info["open_first"], info["open_last"], "/send",
                                 '{"to":["orders@supplier.example"]}']),
            ("mix", "mix.lua", [info["supplier_id"], info["warehouse_id"], info["open_first"], info["draft_last"],
                                info["open_first"], info["open_last"], info["location_id"]]),
        ])
        # The keyed create's budget is relative to plain creates: measured again as plain, keyed,
        # keyed, plain, so that the machine's drift falls on both alike.
        create_args = [info["supplier_id"], info["warehouse_id"]]
        pairs = {"plain": [], "keyed": []}
        for kind in ("plain", "keyed", "keyed", "plain"):
            pairs[kind].append(measure(f"create PO, {kind}", "create.lua",
                                       create_args + (["keyed"] if kind == "keyed" else [])))
        hooks = webhook_cost(server, key, info, measure)
    finally:
        server.stop()
        sink.stdin.close()
        sink.wait(timeout=30)
        drop()
    table(f"Workloads ({args.label}; {args.threads} wrk threads, {args.connections} connections, "
          f"{args.duration} s each)", baseline, rows)
    print_webhook_cost(hooks)
    plain, keyed = combined(pairs["plain"]), combined(pairs["keyed"])
    relative = keyed["rps"] / plain["rps"]
    least = KEYED_CREATE_BUDGET
    print(f"\nCreates again as plain, keyed, keyed, plain: {plain['rps']:,.0f} and {keyed['rps']:,.0f} requests/s "
          f"({plain['cpu_us']:.0f} and {keyed['cpu_us']:.0f} us server CPU): keyed {relative:.2f} of plain "
          f"(budget >= {least:.2f}: {'met' if relative >= least else 'missed'})")
    if not args.database.startswith("postgres"):
        budgets(rows)
    return (failed(baseline, rows) + sum(r["errors"] for runs in pairs.values() for r in runs)
            + sum(o["errors"] + h["errors"] + d["errors"] for _, o, h, d, _, _ in hooks))


# Webhooks: what writing the history and the outbox costs a write with one webhook subscribed
# (budget: at most 15% slower than the same workload without it, same run), and whether delivery
# keeps up with the write rate. Each workload runs:
#   - without a webhook, twice (first and last), and with one whose subscriber answers only after
#     5 s, twice (in between): the server's 64 deliveries in flight wait, so these runs measure the
#     writes alone, history and outbox rows included (the budget: the means of the two pairs);
#   - with one whose subscriber answers at once, delivering as it goes on the same two cores.
# Before that run the slow subscriber's backlog is pointed at the fast one, and the rate it drains
# at is the delivery rate, to compare with the write rate.
def webhook_cost(server, key, info, measure):
    # The receiver stands for a subscriber on another machine: a Rust program that counts what it
    # is sent, so that its share of these two cores stays small (examples/bench_sink.rs).
    sink = subprocess.Popen([SINK], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    sink_url = sink.stdout.readline().strip()

    def delivered():
        return int(urllib.request.urlopen(sink_url + "/count", timeout=30).read())

    def call(method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(server.url + path, data=data, method=method,
                                     headers={"API-Key": key, "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as resp:
            text = resp.read()
            return json.loads(text) if text else None

    def wait_for(count, since, limit=120):
        """Seconds until the sink has `count` deliveries more than `since`, or None."""
        started = time.time()
        while time.time() - started < limit:
            if delivered() - since >= count:
                return time.time() - started
            time.sleep(0.05)
        return None

    results = []
    try:
        for name, event, script, script_args in [
            ("create PO (3 lines)", "purchase_order_created_v2", "create.lua",
             [info["supplier_id"], info["warehouse_id"]]),
            ("receive 1 unit", "purchase_order_products_received_v2", "receive.lua",
             [info["open_first"], info["open_last"], info["location_id"]]),
        ]:
            def subscribe():
                return call("POST", "/v2/environment/webhooks",
                            {"name": "bench", "url": sink_url + "/hook?delay_ms=5000", "event": event})["webhook_id"]

            # Without, held, held, without: the machine's drift falls on both sides alike.
            without = [measure(f"{name}, no webhook", script, script_args)]
            hook = subscribe()
            held = [measure(f"{name}, 1 webhook, deliveries held", script, script_args)]
            call("DELETE", f"/v2/environment/webhooks/{hook}")
            hook = subscribe()
            start = delivered()
            held.append(measure(f"{name}, 1 webhook, deliveries held", script, script_args))
            backlog = held[-1]["requests"] - held[-1]["errors"]
            # The backlog goes to the fast subscriber once the batch in flight is answered.
            call("PUT", f"/v2/environment/webhooks/{hook}", {"url": sink_url + "/hook"})
            wait_for(min(1000, backlog // 2), delivered())
            drain_from, drain_started = delivered(), time.time()
            drained = wait_for(backlog - (drain_from - start), drain_from)
            drain_rate = (delivered() - drain_from) / max(time.time() - drain_started, 1e-3)
            if drained is None:
                print(f"  {name}: the backlog did not drain within 120 s", file=sys.stderr)
            before = delivered()
            delivering = measure(f"{name}, 1 webhook, delivering", script, script_args)
            writes = delivering["requests"] - delivering["errors"]
            caught_up = wait_for(writes, before, limit=30)
            call("DELETE", f"/v2/environment/webhooks/{hook}")
            without.append(measure(f"{name}, no webhook", script, script_args))
            results.append((name, combined(without), combined(held), delivering, drain_rate, caught_up))
    finally:
        sink.terminate()
        sink.wait(timeout=30)
    return results


def print_webhook_cost(results):
    print(f"\n| workload | requests/s, no webhook | 1 webhook, deliveries held: requests/s (ratio, budget >= {WEBHOOK_BUDGET}) "
          "| 1 webhook, delivering: requests/s (ratio) | backlog delivered at | all delivered after the last write |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, without, held, delivering, drain_rate, caught_up in results:
        after = f"{caught_up:.1f} s" if caught_up is not None else "not within 30 s"
        print(f"| {name} | {without['rps']:,.0f} | {held['rps']:,.0f} ({held['rps'] / without['rps']:.2f}) | "
              f"{delivering['rps']:,.0f} ({delivering['rps'] / without['rps']:.2f}) | {drain_rate:,.0f}/s | {after} |")


def scale(args, workdir, rounds=2):
    """get-by-id, first list page and page 1,000 (by links.next) at 10,000 vs 1,000,000 orders.

    Both databases are served at once, and each workload runs on one right after the other,
    between two /healthz runs that both share: the machine's drift then falls on both sizes
    alike. The order of the two sizes alternates from one round to the next."""
    sizes = (10_000, 1_000_000)
    page_size = 10
    servers, drops = {}, []
    try:
        for orders in sizes:
            database, drop = fresh_database(args, workdir, f"scale{orders}")
            drops.append(drop)
            info = seed(database, orders, 0)
            print(f"seeded {orders:,} orders in {info['seconds']:.1f} s", file=sys.stderr)
            server = Server(database)
            # Walk links.next to page 1,000 of 10 to get its cursor.
            href = f"{server.url}/v2/purchase_orders?page_size={page_size}"
            for _ in range(999):
                href = get_json(href, info["key"])["links"]["next"]["href"]
            servers[orders] = (server, info, href[len(server.url):])

        def measure(orders, name, script, script_args):
            server, info, _ = servers[orders]
            r = wrk(server.url, script, [info["key"]] + script_args, args)
            r["rss"] = server.peak_rss_mb()
            print(f"  {orders:,}: {name}: {r['rps']:,.0f} req/s", file=sys.stderr)
            return r

        steps = [
            ("get PO by id", lambda info, _: ("order.lua", [info["draft_first"], info["draft_last"]])),
            ("first list page (50)", lambda info, _: ("list.lua", ["/v2/purchase_orders?page_size=50"])),
            (f"page 1,000 via links.next ({page_size})", lambda info, page_1000: ("list.lua", [page_1000])),
        ]
        # Warm each server's caches first, so that the first round does not pay for them at one size
        # only: a get at a million orders reads its pages from disk until they are cached.
        for orders in sizes:
            server, info, page_1000 = servers[orders]
            for name, workload in steps:
                script, script_args = workload(info, page_1000)
                wrk(server.url, script, [info["key"]] + script_args, args, duration=WARM_UP)
        baselines = []
        results = {orders: [] for orders in sizes}
        flat = []
        for name, workload in steps:
            runs = {orders: [] for orders in sizes}
            for n in range(rounds):
                order = sizes if n % 2 == 0 else sizes[::-1]
                before = measure(order[0], "baseline GET /healthz", "healthz.lua", [])
                measured = {}
                for orders in order:
                    _, info, page_1000 = servers[orders]
                    script, script_args = workload(info, page_1000)
                    measured[orders] = measure(orders, name, script, script_args)
                after = measure(order[-1], "baseline GET /healthz", "healthz.lua", [])
                baselines += [before, after]
                for orders, r in measured.items():
                    r["baseline"] = (before["rps"] + after["rps"]) / 2
                    runs[orders].append(r)
            for orders in sizes:
                results[orders].append((name, combined(runs[orders])))
            flat.append((name, [large["rps"] / small["rps"] for small, large in zip(runs[sizes[0]], runs[sizes[1]])]))
        baseline = baseline_summary(baselines)
        errors = failed(baseline, results[sizes[0]] + results[sizes[1]])
        peak_rss = {orders: servers[orders][0].peak_rss_mb() for orders in sizes}
        for orders in sizes:
            table(f"{orders:,} orders ({args.label}; each workload {rounds} times, means)",
                  dict(baseline, rss=peak_rss[orders]), results[orders],
                  how="before and after each workload's runs at both sizes, which share them. Each ratio is "
                  "to the mean of the two runs around its round")
    finally:
        for server, _, _ in servers.values():
            server.stop()
        for drop in drops:
            drop()
    print("\nFlat cost: each figure at 1,000,000 orders relative to 10,000 (both as ratios to the same /healthz "
          "runs, so the 1M / 10k column is the ratio of their requests/s)")
    print("| workload | ratio at 10k | ratio at 1M | 1M / 10k | each round |")
    print("|---|---:|---:|---:|---|")
    for (name, small), (_, large), (_, each) in zip(results[sizes[0]], results[sizes[1]], flat):
        rs, rl = small["rps"] / small["baseline"], large["rps"] / large["baseline"]
        print(f"| {name} | {rs:.2f} | {rl:.2f} | {rl / rs:.2f} | {', '.join(f'{x:.2f}' for x in each)} |")
    print(f"| peak RSS at 1M | | {peak_rss[sizes[1]]:.0f} MB | | |")
    return errors


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--database", default="sqlite", help="'sqlite' (a fresh file) or a postgres:// URL of an "
                   "existing database used to create fresh ones")
    p.add_argument("--duration", type=int, default=10, help="seconds per workload")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--connections", type=int, default=64)
    p.add_argument("--orders", type=int, default=50_000, help="orders seeded before the workloads")
    p.add_argument("--open", type=int, default=2_000, help="open orders to receive against")
    p.add_argument("--scale", action="store_true", help="measure flat cost at 10k vs 1M orders instead")
    p.add_argument("--load-policy", choices=sorted(LOAD_POLICIES), default="normal",
                   help="scheduling policy of wrk: 'normal' (the default), or 'batch', which keeps it from "
                   "preempting the server whenever an answer wakes it (how much of a figure is that "
                   "interference; docs/performance.md)")
    p.add_argument("--no-build", action="store_true", help="use the binaries already in target/dist")
    args = p.parse_args()
    args.label = "PostgreSQL" if args.database.startswith("postgres") else "SQLite"
    if args.load_policy != "normal":
        args.label += f"; wrk as SCHED_{args.load_policy.upper()}"
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")
    if not args.no_build:
        sh(["cargo", "build", "--profile", "dist", "--locked", "--bin", "procura", "--example", "bench_seed",
            "--example", "bench_sink"])
    missing = [path for path in (BIN, SEED, SINK) if not os.path.exists(path)]
    if missing:
        raise SystemExit(f"not built: {', '.join(missing)}; run without --no-build, or "
                         "cargo build --profile dist --bin procura --example bench_seed "
                         "--example bench_sink")
    print(f"machine: {os.cpu_count()} cores; {open('/proc/loadavg').read().split()[0]} load before the run",
          file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="procura-bench-") as workdir:
        errors = scale(args, workdir) if args.scale else workloads(args, workdir)
    if errors:
        raise SystemExit(f"{errors:,} requests failed (non-2xx answers or socket errors); there must be none")


if __name__ == "__main__":
    main()
