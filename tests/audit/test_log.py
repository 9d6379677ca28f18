"""The audit log page: who may see it, filters, older entries, htmx partials and the tamper banner."""
import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text

from app.audit.models import AuditEntry, chain_key
from app.audit.services import record
from app.audit.views import PAGE_SIZE
from tests.conftest import hx

LOG = "/o/acme/audit"


def _rows(response):
    """Entry ids of the table rows, top to bottom."""
    return [int(i) for i in re.findall(r'<tr id="entry-(\d+)"', response.get_data(as_text=True))]


def _chain_ids(db, org, **where):
    query = select(AuditEntry).where(AuditEntry.chain == chain_key(org.id)).order_by(AuditEntry.seq.desc())
    for key, value in where.items():
        query = query.where(getattr(AuditEntry, key) == value)
    return [e.id for e in db.session.execute(query).scalars()]


@pytest.fixture
def entries(db, people, dummy_org, create_user):
    """A few distinct entries in Acme's chain, plus one in the other organization's."""
    owner, admin = people["owner"], people["admin"]
    ana = create_user(email="ana_b@example.com")
    made = {
        "renamed": record(admin, dummy_org, "workspace.renamed", target=("workspace", 7, "Radiology"),
                          data={"before": {"name": "Scans"}, "after": {"name": "Radiology"}},
                          now=datetime(2024, 3, 10, 12, tzinfo=UTC)),
        "role": record(owner, dummy_org, "member.role_changed", target=people["reviewer"],
                       data={"before": {"role": "annotator"}, "after": {"role": "reviewer"}},
                       now=datetime(2024, 5, 1, 8, tzinfo=UTC)),
        "ana": record(ana, dummy_org, "invitation.created", target=("invitation", 3, "zed@example.com"),
                      data={"after": {"role": "manager"}, "note": "needle in the data"}),
        "elsewhere": record(people["outsider"], people["other_org"], "org.updated", data={"note": "needle"}),
    }
    db.session.commit()
    return made


@pytest.mark.parametrize("who,status", [
    ("owner", 200), ("admin", 200), ("manager", 403), ("reviewer", 403), ("annotator", 403),
    ("pending", 302), ("deactivated", 404), ("outsider", 404),
])
def test_log_by_role(client_for, people, who, status):
    assert client_for(people[who]).get(LOG).status_code == status


def test_newest_first_and_only_this_org(db, owner_client, dummy_org, entries):
    response = owner_client.get(LOG)
    assert response.status_code == 200
    assert _rows(response) == _chain_ids(db, dummy_org)
    html = response.get_data(as_text=True)
    assert entries["elsewhere"].id not in _rows(response)
    assert "name: Scans → Radiology" in html and "role: annotator → reviewer" in html
    assert "workspace: Radiology" in html and entries["ana"].actor_email in html


@pytest.mark.parametrize("query,expected", [
    ({"actor": "ANA_B@"}, ["ana"]),
    ({"actor": "a_b@"}, ["ana"]),
    ({"actor": "axb"}, []),  # "_" is a character here, not a wildcard
    ({"action": "member.role_changed"}, ["role"]),
    ({"target": "radiol"}, ["renamed"]),
    ({"target": "zed@"}, ["ana"]),
    ({"q": "needle"}, ["ana"]),  # in the data, and not the other organization's
    ({"q": "Scans"}, ["renamed"]),
    ({"q": "invitation.cre"}, ["ana"]),
    ({"date_from": "2024-03-01", "date_to": "2024-03-10"}, ["renamed"]),
    ({"date_from": "2024-04-01", "date_to": "2024-05-01"}, ["role"]),
    ({"date_to": "2024-05-01"}, ["role", "renamed"]),
    ({"actor": "example", "action": "workspace.renamed", "date_from": "2024-01-01"}, ["renamed"]),
])
def test_filters_filter(owner_client, entries, query, expected):
    response = owner_client.get(LOG, query_string=query)
    assert response.status_code == 200
    assert _rows(response) == [entries[name].id for name in expected]
    if not expected:
        assert "No entries match these filters" in response.get_data(as_text=True)


@pytest.mark.parametrize("query,message", [
    ({"action": "made.up"}, "Not a valid choice"),
    ({"date_from": "2024-05-02", "date_to": "2024-05-01"}, "end date is before the start date"),
    ({"date_from": "yesterday"}, "Not a valid date"),
])
def test_invalid_filters_are_422(owner_client, entries, query, message):
    response = owner_client.get(LOG, query_string=query, headers=hx())
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert _rows(response) == []


def test_htmx_filter_returns_the_results_partial(owner_client, entries):
    response = owner_client.get(LOG, query_string={"action": "member.role_changed"}, headers=hx())
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html and 'id="chain-status"' not in html
    assert html.lstrip().startswith('<div id="audit-results">')
    assert "HX-Request" in response.headers["Vary"]
    assert "/o/acme/audit/export.csv?action=member.role_changed" in html
    page = owner_client.get(LOG).get_data(as_text=True)
    assert "<html" in page and 'id="chain-status"' in page and 'hx-push-url="true"' in page


def test_older_entries_page_by_page(db, owner_client, people, dummy_org):
    for n in range(PAGE_SIZE + 5):
        record(people["admin"], dummy_org, "org.updated", data={"n": n})
    db.session.commit()
    everything = _chain_ids(db, dummy_org)
    first = owner_client.get(LOG)
    assert _rows(first) == everything[:PAGE_SIZE]
    older = re.search(r'hx-get="([^"]+before=\d+[^"]*)"', first.get_data(as_text=True)).group(1).replace("&amp;", "&")
    second = owner_client.get(older, headers=hx())
    html = second.get_data(as_text=True)
    assert second.status_code == 200 and "<table" not in html and html.lstrip().startswith("<tr")
    assert _rows(second) == everything[PAGE_SIZE:]
    assert "Load older entries" not in html
    # The same link without htmx is a full page starting there.
    assert _rows(owner_client.get(older)) == everything[PAGE_SIZE:]


def test_older_link_keeps_the_filters(db, owner_client, people, dummy_org):
    for n in range(PAGE_SIZE + 2):
        record(people["admin"], dummy_org, "org.updated", data={"n": n})
    record(people["admin"], dummy_org, "member.role_changed")
    db.session.commit()
    first = owner_client.get(LOG, query_string={"action": "org.updated"}, headers=hx())
    older = re.search(r'hx-get="([^"]+)"', first.get_data(as_text=True).split("audit-older")[1]).group(1)
    assert "action=org.updated" in older
    second = owner_client.get(older.replace("&amp;", "&"), headers=hx())
    assert len(_rows(second)) == 2
    ids = _chain_ids(db, dummy_org, action="org.updated")
    assert _rows(second) == ids[PAGE_SIZE:]


def test_intact_chain_note(owner_client, db, dummy_org, entries):
    html = owner_client.get(LOG).get_data(as_text=True)
    assert f"Chain intact ({len(_chain_ids(db, dummy_org))} entries)" in html
    assert "does not verify" not in html


def test_banner_after_an_entry_is_edited(db, owner_client, entries):
    db.session.execute(text("UPDATE audit_entries SET data = :data WHERE id = :id"),
                       {"data": '{"before": {"role": "annotator"}, "after": {"role": "owner"}}', "id": entries["role"].id})
    db.session.commit()
    db.session.expire_all()
    html = owner_client.get(LOG).get_data(as_text=True)
    assert "does not verify" in html and "Chain intact" not in html
    assert f"entry #{entries['role'].id} (seq {entries['role'].seq}, member.role_changed): content was changed" in html
    # htmx pages do not re-verify.
    assert "does not verify" not in owner_client.get(LOG, query_string={"q": "x"}, headers=hx()).get_data(as_text=True)


def test_banner_after_a_middle_entry_is_deleted(db, owner_client, entries):
    seq = entries["role"].seq
    db.session.execute(text("DELETE FROM audit_entries WHERE id = :id"), {"id": entries["role"].id})
    db.session.commit()
    html = owner_client.get(LOG).get_data(as_text=True)
    assert "does not verify" in html
    assert f"entries {seq}..{seq} are missing" in html

