"""Workspace pages: who sees which workspace, sandboxes, and the managers' forms with their refusals."""
import pytest
from sqlalchemy import select

from app.audit.models import AuditEntry
from app.orgs import services
from app.orgs.models import Workspace, WorkspaceMember
from tests.conftest import hx


@pytest.fixture
def spaces(db, people, dummy_org):
    """Acme's "Default" (made with the org), "Alpha" with the Manager, "Beta" with the Reviewer."""
    owner = people["owner"]
    default = db.session.execute(select(Workspace).where(Workspace.org_id == dummy_org.id)).scalar_one()
    alpha = services.create_workspace(owner, dummy_org, "Alpha")
    beta = services.create_workspace(owner, dummy_org, "Beta")
    services.add_workspace_member(owner, dummy_org, alpha, people["manager"])
    services.add_workspace_member(owner, dummy_org, beta, people["reviewer"])
    db.session.commit()
    return {"default": default, "alpha": alpha, "beta": beta}


def _url(ws, suffix=""):
    return f"/o/acme/workspaces/{ws.id}{suffix}"


def _names(response):
    html = response.get_data(as_text=True)
    return {name for name in ("Default", "Alpha", "Beta") if f">{name}</a>" in html}


def _sandboxes(db, org):
    return db.session.execute(select(Workspace).where(Workspace.org_id == org.id, Workspace.is_sandbox)).scalars().all()


@pytest.mark.parametrize("who,expected", [
    ("owner", {"Default", "Alpha", "Beta"}),
    ("admin", {"Default", "Alpha", "Beta"}),
    ("manager", {"Alpha"}),
    ("reviewer", {"Beta"}),
    ("annotator", set()),
])
def test_list_shows_what_each_role_may_see(client_for, people, spaces, who, expected):
    response = client_for(people[who]).get("/o/acme/workspaces")
    assert response.status_code == 200
    assert _names(response) == expected
    assert "Your private workspace" in response.get_data(as_text=True)


@pytest.mark.parametrize("who,status", [("pending", 302), ("deactivated", 404), ("outsider", 404)])
def test_list_is_for_working_members(client_for, people, who, status):
    assert client_for(people[who]).get("/o/acme/workspaces").status_code == status


def test_create_form_only_for_managers_and_up(client_for, people):
    assert "Create the workspace" in client_for(people["manager"]).get("/o/acme/workspaces").get_data(as_text=True)
    assert "Create the workspace" not in client_for(people["reviewer"]).get("/o/acme/workspaces").get_data(as_text=True)
    assert client_for(people["reviewer"]).post("/o/acme/workspaces", data={"name": "Mine"}).status_code == 403


def test_sandbox_is_made_once_audited_and_private(db, client_for, people, dummy_org):
    annotator = client_for(people["annotator"])
    annotator.get("/o/acme/workspaces")
    annotator.get("/o/acme/workspaces")
    (sandbox,) = _sandboxes(db, dummy_org)
    assert sandbox.created_by_id == people["annotator"].id and sandbox.name == "Sandbox"
    created = db.session.execute(select(AuditEntry).where(AuditEntry.action == "workspace.created",
                                                         AuditEntry.target_id == str(sandbox.id))).scalars().all()
    assert len(created) == 1 and created[0].data["after"]["sandbox"] is True
    assert annotator.get(_url(sandbox)).status_code == 200
    owner = client_for(people["owner"])
    assert "Sandbox" not in owner.get("/o/acme/").get_data(as_text=True)
    assert owner.get(_url(sandbox)).status_code == 403
    assert owner.post(_url(sandbox, "/rename"), data={"name": "Peek"}).status_code == 403
    # The Owner's own sandbox is theirs alone too.
    owner.get("/o/acme/workspaces")
    assert len(_sandboxes(db, dummy_org)) == 2
    assert "Sandbox" in owner.get("/o/acme/").get_data(as_text=True)


def test_sandbox_cannot_be_shared_or_deleted(db, client_for, people, dummy_org):
    manager = client_for(people["manager"])
    manager.get("/o/acme/workspaces")
    (sandbox,) = _sandboxes(db, dummy_org)
    response = manager.post(_url(sandbox, "/members"), data={"user": people["annotator"].id}, headers=hx())
    assert response.status_code == 422 and "cannot be shared" in response.get_data(as_text=True)
    response = manager.post(_url(sandbox, "/delete"), headers=hx())
    assert response.status_code == 422 and "cannot be deleted" in response.get_data(as_text=True)
    assert db.session.get(Workspace, sandbox.id) is not None


@pytest.mark.parametrize("who,alpha,beta", [
    ("owner", 200, 200), ("admin", 200, 200), ("manager", 200, 403), ("reviewer", 403, 200), ("annotator", 403, 403),
])
def test_workspace_page_by_role(client_for, people, spaces, who, alpha, beta):
    client = client_for(people[who])
    assert client.get(_url(spaces["alpha"])).status_code == alpha
    assert client.get(_url(spaces["beta"])).status_code == beta


def test_other_orgs_workspace_is_404(owner_client, people, db):
    other = db.session.execute(select(Workspace).where(Workspace.org_id == people["other_org"].id)).scalar_one()
    assert owner_client.get(_url(other)).status_code == 404
    assert owner_client.post(_url(other, "/rename"), data={"name": "x"}).status_code == 404
    assert owner_client.get("/o/acme/workspaces/nope").status_code == 404


def test_page_lists_members_with_roles_and_manage_forms(client_for, people, spaces):
    html = client_for(people["manager"]).get(_url(spaces["alpha"])).get_data(as_text=True)
    assert people["manager"].email in html and "role-manager" in html
    assert 'id="workspace-rename"' in html and 'id="workspace-member-add"' in html and "data-confirm" in html
    html = client_for(people["reviewer"]).get(_url(spaces["beta"])).get_data(as_text=True)
    assert people["reviewer"].email in html and "role-reviewer" in html
    assert 'id="workspace-rename"' not in html and 'id="workspace-member-add"' not in html


def test_manager_manages_only_their_workspaces(db, client_for, people, spaces):
    manager = client_for(people["manager"])
    assert manager.post(_url(spaces["beta"], "/rename"), data={"name": "Mine now"}).status_code == 403
    response = manager.post(_url(spaces["alpha"], "/rename"), data={"name": "Alpha prime"}, headers=hx())
    assert response.status_code == 200 and response.headers["HX-Redirect"] == _url(spaces["alpha"])
    assert db.session.get(Workspace, spaces["alpha"].id).name == "Alpha prime"
    assert db.session.get(Workspace, spaces["beta"].id).name == "Beta"
    for path, data in (("/members", {"user": people["annotator"].id}),
                       (f"/members/{people['reviewer'].id}/remove", {}), ("/delete", {})):
        assert manager.post(_url(spaces["beta"], path), data=data).status_code == 403


def test_manager_sees_and_manages_what_they_create(db, client_for, people):
    manager = client_for(people["manager"])
    response = manager.post("/o/acme/workspaces", data={"name": "Gamma"}, headers=hx())
    assert response.status_code == 200
    gamma = db.session.execute(select(Workspace).where(Workspace.name == "Gamma")).scalar_one()
    assert response.headers["HX-Redirect"] == _url(gamma)
    assert "Gamma" in manager.get("/o/acme/workspaces").get_data(as_text=True)
    assert manager.post(_url(gamma, "/rename"), data={"name": "Gamma 2"}).status_code == 303


def test_create_refusals_are_422_fragments(db, client_for, people, spaces):
    owner = client_for(people["owner"])
    response = owner.post("/o/acme/workspaces", data={"name": "alpha"}, headers=hx())
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "<html" not in html and "already exists" in html
    assert 'id="workspace-create"' in html and 'aria-invalid="true"' in html
    response = owner.post("/o/acme/workspaces", data={"name": "  "}, headers=hx())
    assert response.status_code == 422 and "Give the workspace a name" in response.get_data(as_text=True)
    # Without htmx the whole page comes back with the message.
    response = owner.post("/o/acme/workspaces", data={"name": "Beta"})
    assert response.status_code == 422 and "<html" in response.get_data(as_text=True)
    assert db.session.execute(select(Workspace).where(Workspace.name.in_(["alpha", "  "]))).first() is None


def test_rename_refusal_and_audit(db, owner_client, spaces):
    response = owner_client.post(_url(spaces["alpha"], "/rename"), data={"name": "Beta"}, headers=hx())
    assert response.status_code == 422 and "already exists" in response.get_data(as_text=True)
    assert 'id="workspace-rename"' in response.get_data(as_text=True)
    response = owner_client.post(_url(spaces["alpha"], "/rename"), data={"name": "x" * 201}, headers=hx())
    assert response.status_code == 422
    assert owner_client.post(_url(spaces["alpha"], "/rename"), data={"name": "Renamed"}, headers=hx()).status_code == 200
    entry = db.session.execute(select(AuditEntry).where(AuditEntry.action == "workspace.renamed")).scalar_one()
    assert entry.data == {"before": {"name": "Alpha"}, "after": {"name": "Renamed"}}


def test_add_and_remove_members(db, owner_client, client_for, people, spaces):
    alpha, annotator = spaces["alpha"], people["annotator"]
    page = owner_client.get(_url(alpha)).get_data(as_text=True)
    assert f'value="{annotator.id}"' in page and f'value="{people["manager"].id}"' not in page  # already in
    response = owner_client.post(_url(alpha, "/members"), data={"user": annotator.id}, headers=hx())
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html and annotator.email in html
    assert services.is_workspace_member(alpha, annotator)
    assert _names(client_for(annotator).get("/o/acme/workspaces")) == {"Alpha"}

    response = owner_client.post(_url(alpha, f"/members/{annotator.id}/remove"), headers=hx())
    assert response.status_code == 200 and annotator.email not in response.get_data(as_text=True).split("<form id=")[0]
    assert not services.is_workspace_member(alpha, annotator)
    actions = db.session.execute(select(AuditEntry.action).where(AuditEntry.action.like("workspace.member_%"))
                                 .order_by(AuditEntry.id)).scalars().all()
    assert actions[-2:] == ["workspace.member_added", "workspace.member_removed"]


@pytest.mark.parametrize("who,message", [
    ("manager", "already in this workspace"),
    ("pending", "Only active members"),
    ("deactivated", "Only active members"),
    ("outsider", "Choose a member of this organization"),
])
def test_add_member_refusals(db, owner_client, people, spaces, who, message):
    before = db.session.execute(select(WorkspaceMember)).scalars().all()
    response = owner_client.post(_url(spaces["alpha"], "/members"), data={"user": people[who].id}, headers=hx())
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and message in html and 'id="workspace-members"' in html
    assert len(db.session.execute(select(WorkspaceMember)).scalars().all()) == len(before)


def test_add_member_needs_a_choice(owner_client, spaces):
    response = owner_client.post(_url(spaces["alpha"], "/members"), data={"user": ""}, headers=hx())
    assert response.status_code == 422 and "Choose someone to add" in response.get_data(as_text=True)


def test_remove_refusals(owner_client, people, spaces):
    response = owner_client.post(_url(spaces["alpha"], f"/members/{people['annotator'].id}/remove"), headers=hx())
    assert response.status_code == 422 and "is not in this workspace" in response.get_data(as_text=True)
    assert owner_client.post(_url(spaces["alpha"], f"/members/{people['outsider'].id}/remove")).status_code == 404


def test_manager_who_leaves_is_sent_to_the_list(client_for, people, spaces):
    manager = client_for(people["manager"])
    response = manager.post(_url(spaces["alpha"], f"/members/{people['manager'].id}/remove"), headers=hx())
    assert response.status_code == 200 and response.headers["HX-Redirect"] == "/o/acme/workspaces"
    assert manager.get(_url(spaces["alpha"])).status_code == 403


def test_delete_empty_workspace(db, owner_client, spaces):
    response = owner_client.post(_url(spaces["beta"], "/delete"), headers=hx())
    assert response.status_code == 200 and response.headers["HX-Redirect"] == "/o/acme/workspaces"
    assert db.session.get(Workspace, spaces["beta"].id) is None
    entry = db.session.execute(select(AuditEntry).where(AuditEntry.action == "workspace.deleted")).scalar_one()
    assert entry.data == {"before": {"name": "Beta"}}


def test_delete_guard_refuses_with_422(db, owner_client, spaces):
    def holds_projects(workspace):
        return f"{workspace.name} still holds projects; move or delete them first."

    services.WORKSPACE_DELETE_GUARDS.append(holds_projects)
    try:
        response = owner_client.post(_url(spaces["beta"], "/delete"), headers=hx())
    finally:
        services.WORKSPACE_DELETE_GUARDS.remove(holds_projects)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "Beta still holds projects" in html and 'id="workspace-delete"' in html
    assert db.session.get(Workspace, spaces["beta"].id) is not None


def test_delete_without_csrf_is_refused(db, owner_client, spaces):
    assert owner_client.post(_url(spaces["beta"], "/delete"), csrf=False).status_code == 400
    assert db.session.get(Workspace, spaces["beta"].id) is not None


def test_home_cards_link_to_workspaces(owner_client, spaces):
    html = owner_client.get("/o/acme/").get_data(as_text=True)
    assert f'href="{_url(spaces["alpha"])}"' in html
