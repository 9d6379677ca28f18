"""Labeling throughput: N annotators working the stream at once, over HTTP, against the app under gunicorn.

    .venv/bin/python bench/annotate_loop.py                  # SQLite file in a temporary directory
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench .venv/bin/python bench/annotate_loop.py
    .venv/bin/python bench/annotate_loop.py --annotators 32 --seconds 30 --workers 2 --threads 8
    .venv/bin/python bench/annotate_loop.py --flow htmx      # the editor's own loop: one POST per annotation

The PostgreSQL database named by DATABASE_URL is created when missing and emptied (migrated down and up) first.
A project of ``--tasks`` tasks (overlap 1) and ``--annotators`` Annotators are seeded, gunicorn serves
``wsgi:app`` on a free port of 127.0.0.1, and each annotator (a client thread, spread over
``--client-processes`` processes so that the client's GIL is not the limit) signs in through the login form and
then loops, over one kept-alive connection:

    --flow page (default): open  = GET …/label (the page of the next task, reserved for the annotator)
                           submit = POST …/tasks/<id>/annotations (stream=1, htmx: answers with the next task)
    --flow htmx:           submit only, each POST's answer naming the next task (what the editor does)

Printed: annotations per second over the measured window (after ``--warmup``), p50/p95/p99 of each step,
errors by status, the client's CPU use (so that one can tell whether the client was the limit) and the server's
memory (the resident sets of the gunicorn master and workers summed, from /proc, at the end).

Server settings (defaults; ``--workers``/``--threads``): ``--worker-class gthread --workers 4 --threads 2``.
The app is CPU-bound in Python (SQLAlchemy statement building, about 20 statements a request), so parallelism
has to come from processes (the GIL); on 2 cores, 4 processes let one compute while another waits on the
database (a PostgreSQL round trip, SQLite's write lock), and 2 threads each overlap those waits without the GIL
convoy that many threads a process bring (on SQLite the thread holding the write lock then also waits for the
GIL while its siblings run). Measured on this machine with 16 annotators: 4x2 gave the best p95 on SQLite and
throughput within noise of 2x8 (2x4, 2x8 and 1x8 doubled or tripled the p95); 2x8 was marginally ahead on
PostgreSQL. gthread rather than sync because sync workers do not keep connections alive.
"""
import argparse
import json
import multiprocessing
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _seed import CHOICE, CSRF_HEADER, ROOT, Client, free_port, make_app, migrate_fresh, seed, state_of  # noqa: E402

GUNICORN = str(Path(sys.executable).parent / "gunicorn")


def start_server(uri, port, workers, threads, extra_env=None):
    env = {**os.environ, "DATABASE_URL": uri, "SECRET_KEY": "bench-secret", "TESSERA_ENV": "bench",
           "RATELIMIT_ENABLED": "0", **(extra_env or {})}
    command = [GUNICORN, "--bind", f"127.0.0.1:{port}", "--worker-class", "gthread", "--workers", str(workers),
               "--threads", str(threads), "--log-level", "warning", "--keep-alive", "5", "wsgi:app"]
    server = subprocess.Popen(command, cwd=ROOT, env=env)  # noqa: S603 (our own gunicorn, fixed arguments)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode}")
        try:
            status, _, _ = Client("127.0.0.1", port, timeout=2).request("GET", "/login")
            if status == 200:
                return server, command
        except OSError:
            pass
        time.sleep(0.1)
    stop_server(server)
    raise RuntimeError("gunicorn did not answer within 30 s")


def stop_server(server):
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _children(pid):
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            pass
    return found


def rss_mb(pid):
    """Resident memory of ``pid`` and its descendants, in MB."""
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
            pending += _children(current)
        except OSError:
            pass
    return total / 1024


def annotate(port, slug, project_id, email, flow, start_at, warmup_until, stop_at, out):
    """One annotator's loop; appends ("open"|"submit", latency s, status, finished at) to ``out``."""
    client = Client("127.0.0.1", port)
    client.sign_in(email)
    stream = f"/o/{slug}/projects/{project_id}/label"
    form = {"result": json.dumps(CHOICE), "lead_time": "2.5", "stream": "1"}
    headers = {"HX-Request": "true"}
    state = None
    while time.time() < start_at:
        time.sleep(0.005)
    while time.time() < stop_at:
        try:
            if state is None or flow == "page":
                began = time.perf_counter()
                status, _, html, seen = client.get_following(stream)
                finished = time.perf_counter()
                out.append(("open", finished - began, status if status != 200 else seen[0], time.time()))
                if status != 200:
                    continue
                state = state_of(html)
                headers["X-CSRFToken"] = CSRF_HEADER.search(html).group(1)
            if state is None or state["task"] is None:
                out.append(("open", 0.0, "no task", time.time()))
                return
            began = time.perf_counter()
            status, _, html = client.request("POST", state["urls"]["submit"], form, headers)
            out.append(("submit", time.perf_counter() - began, status, time.time()))
            state = state_of(html) if status == 200 else None
        except Exception as exc:  # noqa: BLE001 (counted as an error)
            out.append(("error", 0.0, type(exc).__name__, time.time()))
            client.close()
            state = None
    client.close()


def client_process(port, slug, project_id, emails, flow, start_at, warmup_until, stop_at, queue):
    """Runs the annotators of ``emails`` as threads; sends back their records and this process's CPU time."""
    records = []
    threads = [threading.Thread(target=annotate, args=(port, slug, project_id, email, flow, start_at,
                                                       warmup_until, stop_at, records)) for email in emails]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    cpu = time.process_time()
    queue.put((records, cpu))


def percentile(values, q):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def server_cpu_seconds(pid):
    """User + system CPU of ``pid`` and its descendants, from /proc (clock ticks → seconds)."""
    total, pending = 0, [pid]
    tick = os.sysconf("SC_CLK_TCK")
    while pending:
        current = pending.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
            pending += _children(current)
        except OSError:
            pass
    return total / tick


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--annotators", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--tasks", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--client-processes", type=int, default=2)
    parser.add_argument("--flow", choices=("page", "htmx"), default="page")
    args = parser.parse_args()

    tmp = tempfile.TemporaryDirectory()
    server = None
    try:
        from _seed import database_uri

        uri = database_uri(tmp.name)
        app = make_app(uri)
        migrate_fresh(app)
        started = time.perf_counter()
        slug, project_id, emails = seed(app, args.tasks, args.annotators)
        with app.app_context():
            from app.extensions import db

            db.engine.dispose()
        print(f"database: {uri.split('@')[-1]}; {args.tasks:,} tasks, {args.annotators} annotators "
              f"(seeded in {time.perf_counter() - started:.1f} s)")

        port = free_port()
        server, command = start_server(uri, port, args.workers, args.threads)
        print("server:", " ".join(command[1:]))
        print(f"client: {args.client_processes} processes, {args.annotators} threads, flow {args.flow}; "
              f"{args.warmup:g} s warm-up, then {args.seconds:g} s measured")

        start_at = time.time() + 2 + 0.1 * args.annotators  # every annotator signed in first
        warmup_until = start_at + args.warmup
        stop_at = warmup_until + args.seconds
        queue = multiprocessing.get_context("fork").Queue()
        shares = [emails[i::args.client_processes] for i in range(args.client_processes)]
        processes = [multiprocessing.get_context("fork").Process(
            target=client_process, args=(port, slug, project_id, share, args.flow, start_at, warmup_until, stop_at,
                                         queue)) for share in shares if share]
        for process in processes:
            process.start()
        while time.time() < warmup_until:
            time.sleep(0.01)
        cpu_before = server_cpu_seconds(server.pid)
        time.sleep(max(0.0, stop_at - time.time()))
        cpu_server = server_cpu_seconds(server.pid) - cpu_before
        results = [queue.get(timeout=120) for _ in processes]
        for process in processes:
            process.join(timeout=30)
        memory = rss_mb(server.pid)
        workers = len(_children(server.pid))
    finally:
        if server is not None:
            stop_server(server)
        tmp.cleanup()

    records = [r for records, _ in results for r in records]
    client_cpu = sum(cpu for _, cpu in results)
    measured = [r for r in records if warmup_until <= r[3] <= stop_at]
    submits_ok = [r for r in measured if r[0] == "submit" and r[2] == 200]
    errors = Counter((r[0], r[2]) for r in measured
                     if r[0] == "error" or r[2] == "no task" or (isinstance(r[2], int) and r[2] >= 400))
    span = args.warmup + args.seconds + 2 + 0.1 * args.annotators
    print()
    print(f"annotations/s: {len(submits_ok) / args.seconds:,.1f}  ({len(submits_ok):,} in {args.seconds:g} s)")
    for step in ("open", "submit"):
        times = [r[1] * 1000 for r in measured if r[0] == step and r[2] in (200, 302)]
        if times:
            print(f"{step:7} p50 {statistics.median(times):7.1f} ms   p95 {percentile(times, 95):7.1f} ms   "
                  f"p99 {percentile(times, 99):7.1f} ms   ({len(times):,} requests)")
    print("errors:", ", ".join(f"{step} {status}: {count}" for (step, status), count in sorted(
        errors.items(), key=str)) if errors else "none")
    print(f"server memory: {memory:.0f} MB RSS (gunicorn master + {workers} workers)")
    print(f"CPU: server {cpu_server / args.seconds:.2f} cores over the measured window; client "
          f"{client_cpu / span:.2f} cores on average over its whole run (sign-in included); machine: "
          f"{os.cpu_count()} cores")


if __name__ == "__main__":
    main()
