"""Pages of the plugins request flow: the panel's off state, organization settings, Permissions, site administration."""
import re

import pytest
from flask import g, render_template
from flask_login import login_user
from sqlalchemy import select

from app.audit.models import AuditEntry
from app.notifications.models import Notification
from app.orgs import services as orgs
from app.plugins import access
from app.plugins.models import PluginAccessRequest
from app.security.roles import Role
from tests.conftest import hx

REASON = "Checks before saving."


@pytest.fixture
def site_admin(create_user):
    return create_user(email="root@tessera.example.com", is_site_admin=True)


@pytest.fixture
def project(db, dummy_project, dummy_org, people):
    """Sentiment, which the Manager manages (they were added to its workspace)."""
    from app.orgs.models import Workspace

    orgs.add_workspace_member(people["owner"], dummy_org, db.session.get(Workspace, dummy_project.workspace_id),
                              people["manager"])
    db.session.commit()
    return dummy_project


@pytest.fixture
def pending(db, people, dummy_org, project, site_admin):
    request = access.request_access(people["manager"], dummy_org, REASON, project=project)
    db.session.commit()
    return request


def _url(project, suffix=""):
    return f"/o/acme/projects/{project.id}/plugins/access-request{suffix}"


def _fresh(db, obj):
    db.session.expire_all()
    return db.session.get(type(obj), obj.id)


def _audit(db, action):
    return db.session.execute(select(AuditEntry).where(AuditEntry.action == action)).scalars().all()


# The panel's off state, rendered on its own ---------------------------------------------------------------

def _render_panel(app, user, org, project, request):
    with app.test_request_context("/o/acme/"):
        login_user(user)
        g.org, g.member = org, orgs.member_of(org, user)
        return render_template("plugins/_access.html", project=project, org=org, access_request=request)


def test_panel_renders_alone_with_a_request_button_for_managers(app, db, people, dummy_org, project):
    page = _render_panel(app, people["manager"], dummy_org, project, None)
    assert "Plugins add your own JavaScript" in page and "Request access" in page
    assert f'hx-post="{_url(project)}"' in page and 'name="reason"' in page and 'name="csrf_token"' in page


def test_panel_offers_no_button_to_those_who_cannot_ask(app, db, people, dummy_org, project):
    from app.projects.services import add_project_member

    add_project_member(people["owner"], project, people["annotator"])
    page = _render_panel(app, people["annotator"], dummy_org, project, None)
    assert "Request access" not in page and "A Manager, Administrator or Owner can ask" in page


def test_panel_shows_pending_since_and_by_with_withdraw(app, db, people, dummy_org, project, pending):
    page = _render_panel(app, people["manager"], dummy_org, project, pending)
    assert "Access requested" in page and people["manager"].display_name in page
    assert pending.created_at.strftime("%Y-%m-%d %H:%M") in page and "Withdraw the request" in page
    assert "Send the request" not in page
    # a Manager who did not ask sees the state, not the button
    other = orgs.add_member(people["owner"], dummy_org, orgs.create_user(None, "m2@example.com"), Role.MANAGER).user
    page = _render_panel(app, other, dummy_org, project, pending)
    assert "Access requested" in page and "Withdraw the request" not in page


def test_panel_shows_the_rejection_and_asks_again(app, db, people, dummy_org, project, pending, site_admin):
    access.reject(site_admin, pending, "Explain the checks.")
    page = _render_panel(app, people["manager"], dummy_org, project, pending)
    assert "was rejected" in page and "Why: Explain the checks." in page and "Ask again" in page


# Asking and withdrawing from the panel --------------------------------------------------------------------

def test_request_from_the_panel_swaps_in_the_pending_state(db, manager_client, dummy_org, project, site_admin):
    response = manager_client.post(_url(project), data={"reason": REASON}, headers=hx())
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="plugin-access"' in page
    assert "Access requested" in page and "<html" not in page
    request = access.latest_request(_fresh(db, dummy_org))
    assert request.state == "pending" and request.project_id == project.id
    assert db.session.execute(select(Notification).where(Notification.user_id == site_admin.id)).scalar_one()


def test_request_without_a_reason_is_422_and_keeps_nothing(db, manager_client, dummy_org, project):
    response = manager_client.post(_url(project), data={"reason": " "}, headers=hx())
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "Give a reason" in page and 'aria-invalid="true"' in page
    assert access.latest_request(dummy_org) is None and not _audit(db, "plugins.access_requested")
    plain = manager_client.post(_url(project), data={"reason": ""})
    assert plain.status_code == 422 and "<html" in plain.get_data(as_text=True)


def test_plain_request_redirects_to_the_labeling_settings(db, manager_client, project):
    response = manager_client.post(_url(project), data={"reason": REASON})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/o/acme/projects/{project.id}/settings/labeling"


@pytest.mark.parametrize("who", ["reviewer", "annotator"])
def test_annotators_and_reviewers_cannot_ask(db, client_for, people, dummy_org, project, who):
    from app.projects.services import add_project_member

    add_project_member(people["owner"], project, people[who])
    db.session.commit()
    assert client_for(people[who]).post(_url(project), data={"reason": REASON}).status_code == 403
    assert access.latest_request(dummy_org) is None


def test_withdraw_from_the_panel(db, manager_client, pending, project):
    data = {"request_id": pending.id, "project_id": project.id}
    response = manager_client.post("/o/acme/plugins/access-request/withdraw", data=data, headers=hx())
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "The request was withdrawn." in page and "Request access" in page
    assert _fresh(db, pending).state == "withdrawn"
    again = manager_client.post("/o/acme/plugins/access-request/withdraw", data=data, headers=hx())
    assert again.status_code == 422 and "Only a pending request" in again.get_data(as_text=True)


def test_withdraw_by_another_manager_is_403(db, client_for, people, dummy_org, pending, add_member):
    other = add_member(dummy_org, Role.MANAGER).user
    response = client_for(other).post("/o/acme/plugins/access-request/withdraw", data={"request_id": pending.id})
    assert response.status_code == 403 and _fresh(db, pending).state == "pending"


def test_withdraw_of_another_organizations_request_is_404(db, owner_client, people, site_admin):
    theirs = access.request_access(people["outsider"], people["other_org"], REASON)
    db.session.commit()
    response = owner_client.post("/o/acme/plugins/access-request/withdraw", data={"request_id": theirs.id})
    assert response.status_code == 404 and _fresh(db, theirs).state == "pending"


# Organization settings ------------------------------------------------------------------------------------

def test_settings_page_links_plugins_and_permissions(owner_client, org_admin_client):
    page = owner_client.get("/o/acme/settings").get_data(as_text=True)
    assert 'href="/o/acme/settings/plugins"' in page and 'href="/o/acme/settings/permissions"' in page
    page = org_admin_client.get("/o/acme/settings").get_data(as_text=True)
    assert 'href="/o/acme/settings/plugins"' in page and 'href="/o/acme/settings/permissions"' not in page


def test_org_section_shows_pending_then_rejected(db, org_admin_client, people, pending, site_admin):
    page = org_admin_client.get("/o/acme/settings/plugins").get_data(as_text=True)
    assert "Access requested" in page and people["manager"].email in page and REASON in page
    assert "Withdraw the request" in page and "Switch plugins" not in page
    access.reject(site_admin, pending, "Too vague.")
    db.session.commit()
    page = org_admin_client.get("/o/acme/settings/plugins", headers=hx()).get_data(as_text=True)
    assert "<html" not in page and "was rejected" in page and "Why: Too vague." in page


def test_org_withdraw_swaps_the_section(db, owner_client, pending):
    response = owner_client.post("/o/acme/plugins/access-request/withdraw", data={"request_id": pending.id},
                                 headers=hx())
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="org-plugins"' in page and "withdrawn" in page
    assert _fresh(db, pending).state == "withdrawn"


def test_switch_off_and_on_from_the_settings(db, org_admin_client, people, dummy_org, pending, site_admin):
    access.approve(site_admin, pending)
    db.session.commit()
    page = org_admin_client.get("/o/acme/settings/plugins").get_data(as_text=True)
    assert "<strong>On</strong> since" in page and "Switch plugins off" in page
    response = org_admin_client.post("/o/acme/settings/plugins/off", headers=hx())
    assert response.status_code == 200 and "Switch plugins back on" in response.get_data(as_text=True)
    assert not access.plugins_on(_fresh(db, dummy_org))
    response = org_admin_client.post("/o/acme/settings/plugins/on")
    assert response.status_code == 303 and response.headers["Location"] == "/o/acme/settings/plugins"
    assert access.plugins_on(_fresh(db, dummy_org))


def test_switch_on_refused_lists_the_members_to_resolve(db, org_admin_client, people, dummy_org, pending, site_admin):
    access.approve(site_admin, pending)
    access.switch_off(people["owner"], dummy_org)
    orgs.add_member(people["outsider"], people["other_org"], people["reviewer"], Role.REVIEWER)
    db.session.commit()
    page = org_admin_client.get("/o/acme/settings/plugins").get_data(as_text=True)
    assert people["reviewer"].email in page and "deactivate each of them" in page
    response = org_admin_client.post("/o/acme/settings/plugins/on", headers=hx())
    assert response.status_code == 422 and people["reviewer"].email in response.get_data(as_text=True)
    assert not access.plugins_on(_fresh(db, dummy_org))


# The Permissions page -------------------------------------------------------------------------------------

def test_permissions_page_is_the_owners(db, owner_client, client_for, people, dummy_org):
    page = owner_client.get("/o/acme/settings/permissions").get_data(as_text=True)
    assert "Manager and above" in page and "(default)" in page and "Owner and Admin only" in page
    assert re.search(r'<input checked[^>]*value="manager"', page) and not re.search(r'<input checked[^>]*value="admin"', page)
    for who in ("admin", "manager", "annotator"):
        assert client_for(people[who]).post("/o/acme/settings/permissions",
                                            data={"plugin_editors": "admin"}).status_code == 403
    assert _fresh(db, dummy_org).plugin_editors == "manager"


def test_permissions_are_saved_audited_and_enforced(db, owner_client, people, dummy_org, project):
    from app.security.permissions import can

    response = owner_client.post("/o/acme/settings/permissions", data={"plugin_editors": "admin"})
    assert response.status_code == 303 and response.headers["Location"] == "/o/acme/settings/permissions"
    org = _fresh(db, dummy_org)
    assert org.plugin_editors == "admin"
    assert _audit(db, "org.permissions_changed")[-1].data["after"] == {"plugin_editors": "admin"}
    manager = orgs.member_of(org, people["manager"])
    assert not can(people["manager"], manager, "plugins.edit", db.session.get(type(project), project.id))
    assert "Permissions saved." in owner_client.get("/o/acme/settings/permissions").get_data(as_text=True)


def test_permissions_bad_choice_is_422(db, owner_client, dummy_org):
    response = owner_client.post("/o/acme/settings/permissions", data={"plugin_editors": "everyone"})
    assert response.status_code == 422 and "Not a valid choice" in response.get_data(as_text=True)
    assert _fresh(db, dummy_org).plugin_editors == "manager" and not _audit(db, "org.permissions_changed")


# Site administration --------------------------------------------------------------------------------------

def test_admin_lists_requests_pending_first(db, client_for, site_admin, people, dummy_org, create_org):
    old = access.request_access(people["manager"], dummy_org, "First try")
    access.reject(site_admin, old, "No")
    beta = create_org(name="Beta", slug="beta")
    access.request_access(orgs.owner_of(beta).user, beta, "Beta wants it")
    db.session.commit()
    page = client_for(site_admin).get("/admin/plugin-requests").get_data(as_text=True)
    assert page.index("Beta wants it") < page.index("First try")
    assert "Approve: switch plugins on" in page and "Reason: No" in page


def test_admin_approves_with_a_note(db, client_for, site_admin, dummy_org, pending):
    response = client_for(site_admin).post("/admin/plugin-requests/approve",
                                           data={"request_id": pending.id, "note": "Go"}, headers=hx())
    assert response.status_code == 200 and response.headers["HX-Redirect"] == "/admin/plugin-requests"
    assert _fresh(db, pending).state == "approved" and access.plugins_on(_fresh(db, dummy_org))
    assert pending.decision_reason == "Go"


def test_admin_rejects_only_with_a_reason(db, client_for, site_admin, pending):
    client = client_for(site_admin)
    response = client.post("/admin/plugin-requests/reject", data={"request_id": pending.id, "reason": ""}, headers=hx())
    assert response.status_code == 422 and "Give a reason for the rejection." in response.get_data(as_text=True)
    assert _fresh(db, pending).state == "pending"
    response = client.post("/admin/plugin-requests/reject", data={"request_id": pending.id, "reason": "Not now"})
    assert response.status_code == 303 and _fresh(db, pending).state == "rejected"


def test_admin_approval_refused_lists_the_multi_org_members(db, client_for, site_admin, people, dummy_org, pending):
    orgs.add_member(people["outsider"], people["other_org"], people["annotator"], Role.ANNOTATOR)
    db.session.commit()
    response = client_for(site_admin).post("/admin/plugin-requests/approve", data={"request_id": pending.id},
                                           headers=hx())
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="plugin-request-problem"' in page
    assert people["annotator"].email in page and "<td>Other</td>" in page and "deactivate each of them" in page
    assert _fresh(db, pending).state == "pending" and not access.plugins_on(_fresh(db, dummy_org))


def test_admin_decision_on_an_unknown_request_is_404(db, client_for, site_admin):
    client = client_for(site_admin)
    assert client.post("/admin/plugin-requests/approve", data={"request_id": "999999"}).status_code == 404
    assert db.session.execute(select(PluginAccessRequest)).first() is None


# Refusals in the members pages while plugins are on ------------------------------------------------------

@pytest.fixture
def plugins_on(db, people, dummy_org, pending, site_admin):
    access.approve(site_admin, pending)
    db.session.commit()
    return dummy_org


def test_invite_page_refuses_someone_working_elsewhere(db, org_admin_client, people, plugins_on):
    response = org_admin_client.post("/o/acme/members/invite", data={"emails": people["outsider"].email,
                                                                     "role": "annotator"}, headers=hx())
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and people["outsider"].email in page and "deactivate" in page


def test_reactivation_page_refuses_someone_working_elsewhere(db, org_admin_client, people, dummy_org, plugins_on):
    member = orgs.member_of(dummy_org, people["deactivated"])
    orgs.add_member(people["outsider"], people["other_org"], people["deactivated"], Role.ANNOTATOR)
    db.session.commit()
    response = org_admin_client.post(f"/o/acme/members/{member.id}/role", data={"role": "annotator"}, headers=hx())
    assert response.status_code == 422 and "deactivate" in response.get_data(as_text=True)
    assert _fresh(db, member).role == Role.DEACTIVATED
