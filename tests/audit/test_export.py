"""CSV export of the audit log: headers, filters, streaming and its own audit entry."""
import csv
import io
import json

import pytest
from sqlalchemy import select

from app.audit.models import AuditEntry, chain_key
from app.audit.services import record
from app.audit.views import CSV_COLUMNS

EXPORT = "/o/acme/audit/export.csv"


def _csv(response):
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


@pytest.mark.parametrize("who,status", [("owner", 200), ("admin", 200), ("manager", 403), ("annotator", 403),
                                        ("outsider", 404)])
def test_export_by_role(client_for, people, who, status):
    assert client_for(people[who]).get(EXPORT).status_code == status


def test_export_headers_and_every_entry_oldest_first(db, owner_client, people, dummy_org):
    record(people["admin"], dummy_org, "member.role_changed", target=people["reviewer"],
           data={"before": {"role": "annotator"}, "after": {"role": "reviewer"}})
    db.session.commit()
    response = owner_client.get(EXPORT)
    assert response.status_code == 200 and response.is_streamed
    assert response.mimetype == "text/csv"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="audit-acme-') and disposition.endswith('.csv"')
    rows = _csv(response)
    assert list(rows[0].keys()) == list(CSV_COLUMNS)
    chain = db.session.execute(select(AuditEntry).where(AuditEntry.chain == chain_key(dummy_org.id))
                               .order_by(AuditEntry.seq)).scalars().all()
    # The export is recorded before the rows are read, so it is the last row of an unfiltered export.
    assert [int(r["id"]) for r in rows] == [e.id for e in chain]
    assert rows[-1]["action"] == "audit.exported" and rows[-1]["actor_email"] == people["owner"].email
    changed = next(r for r in rows if r["action"] == "member.role_changed")
    assert json.loads(changed["data"]) == {"before": {"role": "annotator"}, "after": {"role": "reviewer"}}
    assert changed["target_label"] == people["reviewer"].email and changed["actor_email"] == people["admin"].email


def test_export_applies_the_filters_and_records_them(db, owner_client, people, dummy_org):
    for n in range(3):
        record(people["admin"], dummy_org, "org.updated", data={"n": n})
    record(people["owner"], dummy_org, "member.role_changed")
    db.session.commit()
    rows = _csv(owner_client.get(EXPORT, query_string={"action": "org.updated", "actor": "user"}))
    assert [json.loads(r["data"])["n"] for r in rows] == [0, 1, 2]
    exported = db.session.execute(select(AuditEntry).where(AuditEntry.action == "audit.exported")).scalar_one()
    assert exported.data == {"filters": {"action": "org.updated", "actor": "user"}}
    assert exported.org_id == dummy_org.id


def test_export_never_leaks_another_org(db, owner_client, people):
    record(people["outsider"], people["other_org"], "org.updated", data={"secret_plan": "x"})
    db.session.commit()
    assert "secret_plan" not in owner_client.get(EXPORT).get_data(as_text=True)


def test_cells_that_look_like_formulas_are_defused(db, owner_client, people, dummy_org):
    record(people["admin"], dummy_org, "workspace.renamed", target=("workspace", 1, '=HYPERLINK("http://x")'))
    db.session.commit()
    row = next(r for r in _csv(owner_client.get(EXPORT)) if r["action"] == "workspace.renamed")
    assert row["target_label"] == "'=HYPERLINK(\"http://x\")"


def test_export_with_invalid_filters_is_422_and_not_recorded(db, owner_client):
    response = owner_client.get(EXPORT, query_string={"date_from": "nope"})
    assert response.status_code == 422 and "filters are not valid" in response.get_data(as_text=True)
    assert db.session.execute(select(AuditEntry).where(AuditEntry.action == "audit.exported")).first() is None


def test_page_links_to_the_export_with_its_filters(owner_client, people):
    html = owner_client.get("/o/acme/audit", query_string={"q": "role"}).get_data(as_text=True)
    assert 'href="/o/acme/audit/export.csv?q=role"' in html
