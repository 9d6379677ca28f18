"""Task import and export throughput, peak memory, and Data Manager page latency.

    .venv/bin/python bench/tasks_io.py                       # SQLite in a temporary directory
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench .venv/bin/python bench/tasks_io.py
    .venv/bin/python bench/tasks_io.py --tasks 20000         # a quicker run

The PostgreSQL database named by DATABASE_URL is emptied (migrated down and up) first. Requests go through
the whole application (routing, the gate, the one transaction per request) with Flask's test client, so the
figures leave out only the network. Memory is the growth of the process's peak resident set during each step
(Linux: /proc/self/clear_refs resets the peak, /proc/self/status reports it).
"""
import argparse
import csv
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import create_app  # noqa: E402
from app.config import Config, _database_url  # noqa: E402


def _rss_kib(field):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


class Peak:
    """Peak resident-memory growth over a ``with`` block, in MB."""

    def __enter__(self):
        try:
            Path("/proc/self/clear_refs").write_text("5")
        except OSError:
            pass
        self.start = _rss_kib("VmRSS")
        return self

    def __exit__(self, *exc):
        self.mb = max(0, _rss_kib("VmHWM") - self.start) / 1024


def _synthetic(n, with_predictions):
    for i in range(n):
        item = {"data": {"text": f"Review number {i}: the product {'works' if i % 3 else 'broke'} after {i % 17} days",
                         "source": f"shop-{i % 50}"}}
        if with_predictions:
            item["predictions"] = [{"model_version": "bench-1", "score": (i % 100) / 100,
                                    "result": [{"from_name": "sentiment", "to_name": "text", "type": "choices",
                                                "value": {"choices": ["Positive" if i % 3 else "Negative"]}}]}]
        yield item


def write_jsonl(path, n):
    with open(path, "w", encoding="utf-8") as out:
        for item in _synthetic(n, with_predictions=True):
            out.write(json.dumps(item) + "\n")


def write_csv(path, n):
    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["text", "source"])
        for item in _synthetic(n, with_predictions=False):
            writer.writerow([item["data"]["text"], item["data"]["source"]])


class BenchConfig(Config):
    ENV_NAME = "bench"
    SECRET_KEY = "bench"  # noqa: S105 (a throw-away database)
    RATELIMIT_ENABLED = False
    WTF_CSRF_ENABLED = False


def setup(app):
    from flask_migrate import downgrade, upgrade

    from app.auth.services import create_user, issue_api_token
    from app.extensions import db
    from app.orgs.services import create_org
    from app.projects.services import create_project

    with app.app_context():
        downgrade(revision="base")
        upgrade()
        owner = create_user(None, "bench@example.com", "Bench Owner", "bench password 1")
        org = create_org(None, "Bench", owner, slug="bench")
        workspace = org_default_workspace(org)
        upload_project = create_project(owner, org, workspace, "Upload")
        api_project = create_project(owner, org, workspace, "API")
        _, key = issue_api_token(owner, "bench")
        db.session.commit()
        return owner.id, upload_project.id, api_project.id, key


def org_default_workspace(org):
    from sqlalchemy import select

    from app.extensions import db
    from app.orgs.models import Workspace

    return db.session.execute(select(Workspace).where(Workspace.org_id == org.id).order_by(Workspace.id)).scalars().first()


def rate(count, seconds):
    return f"{count / seconds:,.0f} tasks/s" if seconds else "n/a"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--page-runs", type=int, default=50)
    args = parser.parse_args()
    n = args.tasks

    tmp = tempfile.TemporaryDirectory()
    BenchConfig.SQLALCHEMY_DATABASE_URI = (_database_url() if os.environ.get("DATABASE_URL")
                                           else f"sqlite:///{tmp.name}/bench.db")
    app = create_app(BenchConfig)
    owner_id, upload_id, api_id, key = setup(app)
    print(f"database: {app.config['SQLALCHEMY_DATABASE_URI'].split('@')[-1]}; {n:,} tasks")

    jsonl, csv_path = Path(tmp.name) / "tasks.jsonl", Path(tmp.name) / "tasks.csv"
    write_jsonl(jsonl, n)
    write_csv(csv_path, n)

    script = app.test_client()  # a script holds only its token, no session
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = str(owner_id)
        session["_fresh"] = True

    results = []
    # 1. The upload path: a multipart file through the project's import page.
    def upload(project_id, path, label):
        with Peak() as peak, open(path, "rb") as handle:
            started = time.perf_counter()
            response = client.post(f"/o/bench/projects/{project_id}/import", content_type="multipart/form-data",
                                   data={"file": (handle, path.name)})
            seconds = time.perf_counter() - started
        assert response.status_code == 200, response.get_data(as_text=True)[:500]
        results.append((f"import, upload ({label})", rate(n, seconds), peak.mb))

    upload(upload_id, jsonl, "JSON lines + predictions")
    upload(api_id, csv_path, "CSV")

    # 2. The API: a JSON list in the request body, as the SDK sends it.
    body = json.dumps([item["data"] for item in _synthetic(n, with_predictions=False)]).encode()
    with Peak() as peak:
        started = time.perf_counter()
        response = script.post(f"/api/projects/{api_id}/import", data=body, content_type="application/json",
                               headers={"Authorization": f"Token {key}"})
        seconds = time.perf_counter() - started
    assert response.status_code == 201, response.get_data(as_text=True)[:500]
    results.append(("import, API (JSON list)", rate(n, seconds), peak.mb))
    del body

    # 3. Exports of the upload project's n tasks, streamed and read to the end.
    for fmt in ("JSON", "JSON_MIN", "JSONL", "CSV", "TSV"):
        with Peak() as peak:
            started = time.perf_counter()
            response = script.get(f"/api/projects/{upload_id}/export?exportType={fmt}&download_all_tasks=true",
                                  headers={"Authorization": f"Token {key}"}, buffered=False)
            size = sum(len(chunk) for chunk in response.response)
            response.close()
            seconds = time.perf_counter() - started
        results.append((f"export {fmt} ({size / 1e6:,.1f} MB)", rate(n, seconds), peak.mb))

    print()
    print(f"{'step':48} {'throughput':>16} {'peak memory growth':>20}")
    for name, throughput, mb in results:
        print(f"{name:48} {throughput:>16} {mb:>17.1f} MB")

    # 4. A filtered Data Manager page over the upload project.
    page_url = data_manager_url(app, upload_id)
    if page_url:
        timings = []
        for _ in range(args.page_runs):
            started = time.perf_counter()
            response = client.get(page_url, headers={"HX-Request": "true"})
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.status_code
        timings.sort()
        p95 = timings[max(0, int(len(timings) * 0.95) - 1)]
        print(f"\nData Manager, filtered page ({page_url.split('?')[1]}): "
              f"p50 {statistics.median(timings):.1f} ms, p95 {p95:.1f} ms over {len(timings)} requests")
    tmp.cleanup()


def data_manager_url(app, project_id):
    """The filtered tasks table: text contains "broke", at least one prediction, newest update first."""
    if "datamanager.data" not in app.view_functions:
        return None
    return f"/o/bench/projects/{project_id}/data?data_key=text&data_text=broke&predictions=yes"


if __name__ == "__main__":
    main()
