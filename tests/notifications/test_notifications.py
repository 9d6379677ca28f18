"""Notifications: created by services, counted in the top bar, listed and marked read, e-mailed after commit."""
import pytest
from sqlalchemy import select

from app.notifications import services
from app.notifications.models import Notification


def _note(user, org=None, message="Hello", link="/somewhere"):
    return services.notify([user], org, "test.kind", message, link)[0]


def test_notify_makes_one_per_distinct_person(db, people, dummy_org):
    made = services.notify([people["owner"], people["admin"], people["owner"], None], dummy_org, "k", "Hi", "/x")
    assert sorted(n.user_id for n in made) == sorted([people["owner"].id, people["admin"].id])
    assert all(n.org_id == dummy_org.id and n.read_at is None for n in made)


def test_unread_count_and_mark_read(db, people):
    owner, admin = people["owner"], people["admin"]
    first, second = _note(owner), _note(owner)
    _note(admin)
    assert services.unread_count(owner) == 2
    assert services.mark_read(owner, [first.id]) == 1 and services.unread_count(owner) == 1
    assert services.mark_read(owner) == 1 and services.unread_count(owner) == 0
    assert services.unread_count(admin) == 1  # someone else's stay unread
    assert services.mark_read(owner, [second.id]) == 0


def test_badge_counts_unread_on_full_pages(db, owner_client, people):
    _note(people["owner"])
    _note(people["owner"])
    db.session.commit()
    page = owner_client.get("/o/acme/").get_data(as_text=True)
    assert 'id="notifications-badge"' in page and 'aria-label="Notifications, 2 unread"' in page
    assert 'Notifications <span class="badge">2</span>' in page
    services.mark_read(people["owner"])
    db.session.commit()
    page = owner_client.get("/o/acme/").get_data(as_text=True)
    assert 'id="notifications-badge"' in page and "unread" not in page and 'class="badge">' not in page


def test_list_and_mark_all_read(db, client_for, people):
    user = people["manager"]
    _note(user, message="Plugins are on", link="/o/acme/settings/plugins")
    _note(people["owner"], message="Not for the manager")
    db.session.commit()
    client = client_for(user)
    page = client.get("/notifications").get_data(as_text=True)
    assert "Plugins are on" in page and 'href="/o/acme/settings/plugins"' in page and "Not for the manager" not in page
    response = client.post("/notifications/read", headers={"HX-Request": "true"})
    assert response.status_code == 200 and "1 notification marked read." in response.get_data(as_text=True)
    assert services.unread_count(user) == 0


def test_notifications_need_signing_in(client):
    assert client.get("/notifications").status_code == 302
    assert client.post("/notifications/read").status_code == 302


@pytest.fixture
def outbox(app, monkeypatch):
    sent = []
    monkeypatch.setitem(app.config, "MAIL_SERVER", "smtp.example.com")
    monkeypatch.setattr("app.mail.send", lambda to, subject, body: sent.append((to, subject, body)) or True)
    return sent


def test_email_is_sent_after_commit_only(db, people, outbox):
    _note(people["owner"], message="Plugins are on for Acme.")
    assert outbox == []
    db.session.commit()
    assert [(to, subject) for to, subject, _ in outbox] == [(people["owner"].email, "Tessera: Plugins are on for Acme.")]
    assert "/somewhere" in outbox[0][2]


def test_no_email_for_a_rolled_back_change(db, people, outbox):
    _note(people["owner"])
    db.session.rollback()
    db.session.commit()
    assert outbox == []
    assert db.session.execute(select(Notification)).first() is None


def test_no_email_without_a_mail_server(db, people, monkeypatch):
    sent = []
    monkeypatch.setattr("app.mail.send", lambda *a: sent.append(a))
    _note(people["owner"])
    db.session.commit()
    assert sent == []
