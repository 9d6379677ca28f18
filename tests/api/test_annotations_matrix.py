"""The permission matrix of the labeling endpoints (next task, annotations, drafts): every route, every caller.

Each working caller acts on their own annotation and draft (reading or changing someone else's is covered in
test_annotations_api.py); the others meet the Owner's, so that they are refused by the gate and not by a
missing row.
"""
import pytest
from flask import url_for
from sqlalchemy import select

from app.labeling import services
from app.security.permissions import PERMISSIONS
from app.tasks.importing import import_tasks
from app.tasks.models import Task
from tests.tasks import open_to_team, stream

CALLERS = ("owner", "admin", "manager", "reviewer", "annotator", "pending", "deactivated", "outsider", "anonymous")
WORKING = ("owner", "admin", "manager", "reviewer", "annotator")
CHOICE = {"from_name": "sentiment", "to_name": "text", "type": "choices", "value": {"choices": ["Positive"]}}
CHANGED = {"from_name": "sentiment", "to_name": "text", "type": "choices", "value": {"choices": ["Negative"]}}

#: endpoint -> (method, JSON body, status when granted, {caller: status})
ROUTES = {
    "api.next_task": ("GET", None, 200, {}),
    "api.annotation_create": ("POST", {"result": [CHOICE], "lead_time": 1.5}, 201, {}),
    "api.annotation_list": ("GET", None, 200, {}),
    "api.annotation_detail": ("GET", None, 200, {}),
    "api.annotation_update": ("PATCH", {"result": [CHANGED]}, 200, {}),
    "api.annotation_delete": ("DELETE", None, 204, {}),
    "api.draft_list": ("GET", None, 200, {}),
    "api.draft_create": ("POST", {"result": [CHOICE], "lead_time": 2}, 201, {}),
    "api.draft_update": ("PATCH", {"result": [CHANGED]}, 200, {}),
    "api.draft_delete": ("DELETE", None, 204, {}),
}


def _endpoints(app):
    return {rule.endpoint for rule in app.url_map.iter_rules()
            if app.view_functions[rule.endpoint].__module__ == "app.api.annotations"}


def test_table_lists_every_labeling_endpoint(app):
    endpoints = _endpoints(app)
    assert endpoints - ROUTES.keys() == set(), "add the new endpoints of app.api.annotations to ROUTES"
    assert ROUTES.keys() - endpoints == set(), "ROUTES names endpoints that do not exist"


def test_every_method_of_a_route_is_covered(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in ROUTES:
            assert ROUTES[rule.endpoint][0] in rule.methods, rule.rule


@pytest.fixture
def make_ids(db, dummy_project, people):
    """``make_ids(caller)``: task ``a`` answered and task ``b`` drafted by the caller (the Owner for callers
    who are not working members); ``task_id`` is ``b``, which the caller may open thanks to the draft."""
    open_to_team(db, dummy_project, people)
    import_tasks(people["owner"], dummy_project, stream('{"text": "a"}\n{"text": "b"}\n{"text": "c"}\n'),
                 filename="t.jsonl")
    db.session.commit()
    a, b, _ = db.session.scalars(select(Task).where(Task.project_id == dummy_project.id).order_by(Task.id)).all()

    def make(caller):
        author = people[caller] if caller in WORKING else people["owner"]
        annotation = services.submit_annotation(author, dummy_project, a, [CHOICE])
        draft = services.save_draft(author, dummy_project, b, [CHOICE])
        db.session.commit()
        return {"project_id": dummy_project.id, "task_id": b.id, "annotation_id": annotation.id,
                "draft_id": draft.id}

    return make


def _expected(app, endpoint, caller):
    _, _, granted, overrides = ROUTES[endpoint]
    fixed = {"anonymous": 401, "outsider": 404, "deactivated": 404, "pending": 403}
    if caller in fixed:
        return fixed[caller]
    if caller in overrides:
        return overrides[caller]
    roles = PERMISSIONS[app.view_functions[endpoint].permission][1]
    return granted if caller in {r.value for r in roles} else 403


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("endpoint", sorted(ROUTES))
def test_matrix(app, client_for, people, make_ids, endpoint, caller):
    ids = make_ids(caller)
    method, body, _, _ = ROUTES[endpoint]
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    with app.test_request_context():
        url = url_for(endpoint, **{k: v for k, v in ids.items() if k in rule.arguments})
    client = client_for(None if caller == "anonymous" else people[caller])
    response = client.open(url, method=method, json=body)
    text = response.get_data(as_text=True)
    expected = _expected(app, endpoint, caller)
    assert response.status_code == expected, f"{caller} {method} {url}: {response.status_code}, expected {expected}\n{text[:300]}"
    if response.status_code >= 400:
        assert response.get_json()["status_code"] == expected  # the API's envelope, never an HTML page
