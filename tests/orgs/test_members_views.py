"""The Members page: the table, per-row and bulk role changes, invitations and the join link."""
import re

import pytest
from sqlalchemy import select

from app.audit.models import AuditEntry
from app.orgs import services
from app.orgs.models import Invitation
from app.security.roles import Role
from tests.conftest import hx


@pytest.fixture
def member(db, dummy_org):
    def find(user, org=None):
        return services.member_of(org or dummy_org, user)

    return find


def _role(db, membership):
    db.session.expire_all()
    return db.session.get(type(membership), membership.id).role


def _audit(db, action):
    return db.session.execute(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)).scalars().all()


def _text(response):
    return response.get_data(as_text=True)


# The table ------------------------------------------------------------------------------------------------

def test_page_lists_members_with_search_invite_and_join_link(owner_client, people):
    response = owner_client.get("/o/acme/members")
    page = _text(response)
    assert response.status_code == 200 and "<html" in page
    assert "HX-Request" in response.headers["Vary"]
    for key in ("owner", "admin", "manager", "reviewer", "annotator", "pending", "deactivated"):
        assert people[key].email in page
    assert people["outsider"].email not in page
    assert 'hx-trigger="input changed delay:300ms, search"' in page and 'hx-push-url="true"' in page
    assert 'data-select-all="member_ids"' in page
    assert 'id="invite-emails"' in page and 'data-copy="#join-link-url"' in page
    assert re.search(r'value="http://localhost/join/[\w-]+"', page)
    assert "wait as <strong>Pending</strong>" in page


def test_owner_row_has_no_role_select(owner_client, people, member):
    page = _text(owner_client.get("/o/acme/members"))
    owner_row = re.search(rf'<tr id="member-{member(people["owner"]).id}".*?</tr>', page, re.S).group(0)
    assert "<select" not in owner_row and 'name="member_ids"' not in owner_row
    admin_row = re.search(rf'<tr id="member-{member(people["admin"]).id}".*?</tr>', page, re.S).group(0)
    assert '<select name="role"' in admin_row and ">Deactivate</button>" in admin_row


def test_htmx_search_returns_only_the_table(org_admin_client, people):
    response = org_admin_client.get("/o/acme/members?q=MANAGER+PERSON&role=", headers=hx())
    page = _text(response)
    assert response.status_code == 200 and "<html" not in page and 'id="invite-emails"' not in page
    assert people["manager"].email in page and people["annotator"].email not in page
    assert "1 member<" in page
    boosted = org_admin_client.get("/o/acme/members", headers=hx(**{"HX-Boosted": "true"}))
    assert boosted.status_code == 200 and 'id="invite-emails"' in _text(boosted)  # a boosted link needs the page


def test_role_filter_includes_pending_and_deactivated(org_admin_client, people):
    for role in ("pending", "deactivated"):
        page = _text(org_admin_client.get(f"/o/acme/members?role={role}", headers=hx()))
        assert people[role].email in page and people["manager"].email not in page


def test_unknown_role_filter_is_422_with_message(org_admin_client, people):
    for headers in ({}, hx()):
        response = org_admin_client.get("/o/acme/members?role=chief", headers=headers)
        page = _text(response)
        assert response.status_code == 422 and page.count("Not a valid choice") == 1
        assert people["manager"].email in page  # unfiltered, with the message


def test_pagination_25_per_page(org_admin_client, people, dummy_org, add_member, create_user):
    for n in range(25):
        add_member(dummy_org, Role.ANNOTATOR, user=create_user(email=f"zz{n:02}@example.com"))
    first = _text(org_admin_client.get("/o/acme/members", headers=hx()))
    assert first.count('<tr id="member-') == 25 and "Page 1 of 2" in first
    assert 'hx-get="/o/acme/members?page=2"' in first
    second = _text(org_admin_client.get("/o/acme/members?page=2", headers=hx()))
    assert second.count('<tr id="member-') == 7 and "zz24@example.com" in second
    filtered = _text(org_admin_client.get("/o/acme/members?role=annotator&page=2", headers=hx()))
    assert filtered.count('<tr id="member-') == 1 and 'hx-get="/o/acme/members?page=1&amp;role=annotator"' in filtered


@pytest.mark.parametrize("who,status", [("manager", 403), ("annotator", 403), ("outsider", 404), ("deactivated", 404)])
def test_members_page_is_for_admins(client_for, people, who, status):
    assert client_for(people[who]).get("/o/acme/members").status_code == status


# One member's role ----------------------------------------------------------------------------------------

def test_htmx_role_change_swaps_the_row_and_audits(org_admin_client, db, people, member):
    target = member(people["annotator"])
    response = org_admin_client.post(f"/o/acme/members/{target.id}/role", data={"role": "reviewer"}, headers=hx())
    fragment = _text(response)
    assert response.status_code == 200
    assert fragment.lstrip().startswith(f'<tr id="member-{target.id}"') and "<html" not in fragment
    assert '<option value="reviewer" selected>' in fragment
    assert _role(db, target) == Role.REVIEWER
    entry = _audit(db, "member.role_changed")[-1]
    assert entry.actor_id == people["admin"].id and entry.target_id == str(people["annotator"].id)
    assert entry.data == {"before": {"role": "annotator"}, "after": {"role": "reviewer"}}


def test_plain_role_change_redirects_with_a_message(org_admin_client, db, people, member):
    target = member(people["reviewer"])
    response = org_admin_client.post(f"/o/acme/members/{target.id}/role", data={"role": "manager"})
    assert response.status_code == 303 and response.headers["Location"] == "/o/acme/members"
    assert "is now Manager" in _text(org_admin_client.get("/o/acme/members"))
    assert _role(db, target) == Role.MANAGER


@pytest.mark.parametrize("who,role,message", [
    ("owner", "admin", "Owner&#39;s role cannot be changed"),
    ("manager", "owner", "Nobody can be made Owner"),
    ("admin", "deactivated", "You cannot deactivate yourself"),
    ("manager", "boss", "Unknown role &#39;boss&#39;"),
])
def test_refused_role_change_is_422_row_keeping_the_old_role(org_admin_client, db, people, member, who, role, message):
    target = member(people[who])
    old = target.role
    response = org_admin_client.post(f"/o/acme/members/{target.id}/role", data={"role": role}, headers=hx())
    fragment = _text(response)
    assert response.status_code == 422
    assert fragment.lstrip().startswith(f'<tr id="member-{target.id}"') and message in fragment
    if old != Role.OWNER:
        assert f'<option value="{old.value}" selected>' in fragment
    assert _role(db, target) == old
    assert not _audit(db, "member.role_changed") and not _audit(db, "member.deactivated")


def test_plain_refused_role_change_is_422_page(org_admin_client, db, people, member):
    target = member(people["owner"])
    response = org_admin_client.post(f"/o/acme/members/{target.id}/role", data={"role": "annotator"})
    assert response.status_code == 422 and "<html" in _text(response)
    assert "role cannot be changed" in _text(response)
    assert _role(db, target) == Role.OWNER


def test_deactivate_and_reactivate(org_admin_client, db, people, member, client_for):
    target = member(people["manager"])
    url = f"/o/acme/members/{target.id}/role"
    assert org_admin_client.post(url, data={"role": "deactivated"}, headers=hx()).status_code == 200
    assert client_for(people["manager"]).get("/o/acme/").status_code == 404
    row = _text(org_admin_client.get("/o/acme/members?role=deactivated", headers=hx()))
    assert ">Reactivate</button>" in row
    assert org_admin_client.post(url, data={"role": "annotator"}, headers=hx()).status_code == 200
    assert client_for(people["manager"]).get("/o/acme/").status_code == 200
    assert _audit(db, "member.deactivated")[-1].data["before"] == {"role": "manager"}
    assert _audit(db, "member.reactivated")[-1].data["after"] == {"role": "annotator"}


def test_another_orgs_member_is_404_and_unchanged(org_admin_client, db, people, member):
    theirs = member(people["outsider"], org=people["other_org"])
    for headers in ({}, hx()):
        response = org_admin_client.post(f"/o/acme/members/{theirs.id}/role", data={"role": "annotator"}, headers=headers)
        assert response.status_code == 404
    assert _role(db, theirs) == Role.OWNER


def test_manager_cannot_change_roles(manager_client, db, people, member):
    target = member(people["annotator"])
    assert manager_client.post(f"/o/acme/members/{target.id}/role", data={"role": "admin"}).status_code == 403
    assert _role(db, target) == Role.ANNOTATOR


# Bulk role change -----------------------------------------------------------------------------------------

def test_htmx_bulk_change_rerenders_the_table_with_a_notice(org_admin_client, db, people, member):
    chosen = [member(people["annotator"]), member(people["pending"])]
    response = org_admin_client.post("/o/acme/members/roles?q=person",
                                     data={"member_ids": [m.id for m in chosen], "role": "reviewer"}, headers=hx())
    table = _text(response)
    assert response.status_code == 200 and "<html" not in table and 'id="bulk-form"' in table
    assert "2 members now have the role Reviewer." in table
    assert people["owner"].email not in table  # the search kept applying
    assert [_role(db, m) for m in chosen] == [Role.REVIEWER, Role.REVIEWER]
    assert len(_audit(db, "member.role_changed")) == 2


def test_plain_bulk_change_redirects(org_admin_client, db, people, member):
    target = member(people["reviewer"])
    response = org_admin_client.post("/o/acme/members/roles?role=reviewer",
                                     data={"member_ids": [target.id], "role": "manager"})
    assert response.status_code == 303 and response.headers["Location"] == "/o/acme/members?role=reviewer"
    assert "1 member now has the role Manager." in _text(org_admin_client.get("/o/acme/members"))


def test_refused_bulk_change_changes_nobody(org_admin_client, db, people, member):
    chosen = [member(people["annotator"]), member(people["owner"])]
    response = org_admin_client.post("/o/acme/members/roles",
                                     data={"member_ids": [m.id for m in chosen], "role": "manager"}, headers=hx())
    table = _text(response)
    assert response.status_code == 422 and "role cannot be changed" in table and people["owner"].email in table
    assert f'value="{chosen[0].id}" form="bulk-form" aria-label="Select annotator person" checked' in table
    assert [_role(db, m) for m in chosen] == [Role.ANNOTATOR, Role.OWNER]
    assert not _audit(db, "member.role_changed")
    plain = org_admin_client.post("/o/acme/members/roles", data={"member_ids": [m.id for m in chosen], "role": "pending"})
    assert plain.status_code == 422 and "<html" in _text(plain) and "role cannot be changed" in _text(plain)
    assert _role(db, chosen[0]) == Role.ANNOTATOR


@pytest.mark.parametrize("data,message", [
    ({"role": "manager"}, "Select at least one member"),
    ({"member_ids": ["1"], "role": ""}, "Choose the new role"),
    ({"member_ids": ["x"], "role": "manager"}, "could not be coerced"),
])
def test_bulk_change_validation(org_admin_client, data, message):
    for headers in ({}, hx()):
        response = org_admin_client.post("/o/acme/members/roles", data=data, headers=headers)
        assert response.status_code == 422 and message in _text(response)


def test_bulk_change_with_another_orgs_member_is_404(org_admin_client, db, people, member):
    mine, theirs = member(people["annotator"]), member(people["outsider"], org=people["other_org"])
    response = org_admin_client.post("/o/acme/members/roles", data={"member_ids": [mine.id, theirs.id], "role": "admin"},
                                     headers=hx())
    assert response.status_code == 404
    assert _role(db, mine) == Role.ANNOTATOR and _role(db, theirs) == Role.OWNER


# Invitations ----------------------------------------------------------------------------------------------

def test_htmx_invite_shows_the_links_once_and_lists_them(org_admin_client, client, db, dummy_org):
    response = org_admin_client.post("/o/acme/members/invite", data={"emails": "ana@example.com, ben@example.com",
                                                                      "role": "reviewer"}, headers=hx())
    section = _text(response)
    assert response.status_code == 200 and "<html" not in section
    assert section.lstrip().startswith('<section class="card" id="invites"')
    links = re.findall(r'value="(http://localhost/invite/[\w-]+)"', section)
    assert len(links) == 2 and "not e-mailed" in section
    assert section.count('<tr id="invitation-') == 2
    invitations = db.session.execute(select(Invitation).where(Invitation.kind == "email")).scalars().all()
    assert {(i.email, i.role) for i in invitations} == {("ana@example.com", Role.REVIEWER), ("ben@example.com", Role.REVIEWER)}
    assert len(_audit(db, "invitation.created")) == 2
    # the link works, and the next page load does not show it again
    assert client.get(links[0].removeprefix("http://localhost")).status_code == 200
    assert links[0] not in _text(org_admin_client.get("/o/acme/members"))


def test_plain_invite_renders_the_page_with_the_links(org_admin_client):
    response = org_admin_client.post("/o/acme/members/invite", data={"emails": "cy@example.com", "role": "annotator"})
    assert response.status_code == 200 and "<html" in _text(response) and "http://localhost/invite/" in _text(response)


@pytest.mark.parametrize("data,message", [
    ({"emails": "", "role": "annotator"}, "Enter at least one e-mail address"),
    ({"emails": "ok@example.com not-an-address", "role": "annotator"}, "is not a valid e-mail address"),
    ({"emails": "ok@example.com", "role": "owner"}, "Invitations can give the roles"),
])
def test_invalid_invite_is_422_and_saves_nothing(org_admin_client, db, data, message):
    for headers in ({}, hx()):
        response = org_admin_client.post("/o/acme/members/invite", data=data, headers=headers)
        assert response.status_code == 422 and message in _text(response)
    assert not db.session.execute(select(Invitation).where(Invitation.kind == "email")).scalars().all()


def test_invite_refuses_a_member_and_a_second_pending_invitation(org_admin_client, people):
    response = org_admin_client.post("/o/acme/members/invite", data={"emails": people["manager"].email, "role": "admin"},
                                     headers=hx())
    assert response.status_code == 422 and "is already a member (Manager)" in _text(response)
    org_admin_client.post("/o/acme/members/invite", data={"emails": "dee@example.com", "role": "admin"}, headers=hx())
    again = org_admin_client.post("/o/acme/members/invite", data={"emails": "dee@example.com", "role": "admin"}, headers=hx())
    assert again.status_code == 422 and "already has a pending invitation" in _text(again)


def test_revoke_invitation(org_admin_client, db, people, dummy_org):
    (invitation, token), = services.invite_by_email(people["admin"], dummy_org, "eve@example.com", "annotator")
    db.session.commit()
    response = org_admin_client.post(f"/o/acme/invitations/{invitation.id}/revoke", headers=hx())
    assert response.status_code == 200 and _text(response).lstrip().startswith('<div id="invite-list">')
    assert "eve@example.com" not in _text(response)
    assert _audit(db, "invitation.revoked")[-1].target_label == "eve@example.com"
    assert org_admin_client.get(f"/invite/{token}").status_code == 400
    plain = org_admin_client.post(f"/o/acme/invitations/{invitation.id}/revoke")
    assert plain.status_code == 303 and plain.headers["Location"] == "/o/acme/members"


def test_revoke_is_404_for_another_org_and_for_the_join_link(org_admin_client, db, people, dummy_org):
    (theirs, _), = services.invite_by_email(people["outsider"], people["other_org"], "far@example.com", "annotator")
    link = services.join_link(people["admin"], dummy_org)
    db.session.commit()
    assert org_admin_client.post(f"/o/acme/invitations/{theirs.id}/revoke", headers=hx()).status_code == 404
    assert org_admin_client.post(f"/o/acme/invitations/{link.id}/revoke").status_code == 404
    db.session.expire_all()
    assert theirs.revoked_at is None and link.revoked_at is None


# The join link --------------------------------------------------------------------------------------------

def test_join_link_reset_swaps_in_a_new_link(org_admin_client, client, db):
    page = _text(org_admin_client.get("/o/acme/members"))
    old = re.search(r'value="http://localhost(/join/[\w-]+)"', page).group(1)
    response = org_admin_client.post("/o/acme/members/join-link/reset", headers=hx())
    fragment = _text(response)
    assert response.status_code == 200 and fragment.lstrip().startswith('<div id="join-link">')
    new = re.search(r'value="http://localhost(/join/[\w-]+)"', fragment).group(1)
    assert new != old and "previous one no longer works" in fragment
    assert client.get(old).status_code == 400 and "reset or withdrawn" in _text(client.get(old))
    assert client.get(new).status_code == 200
    assert _audit(db, "join_link.reset")
    plain = org_admin_client.post("/o/acme/members/join-link/reset")
    assert plain.status_code == 200 and "<html" in _text(plain) and new not in _text(plain)
