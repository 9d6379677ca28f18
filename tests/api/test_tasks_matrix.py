"""The permission matrix of the task, prediction, import and export endpoints: every route, every kind of caller."""
import pytest
from flask import url_for
from sqlalchemy import select

from app.security.permissions import PERMISSIONS
from app.tasks.importing import import_tasks
from app.tasks.models import Prediction, Task
from tests.tasks import open_to_team, stream

CALLERS = ("owner", "admin", "manager", "reviewer", "annotator", "pending", "deactivated", "outsider", "anonymous")
CHOICE = {"from_name": "sentiment", "to_name": "text", "type": "choices", "value": {"choices": ["Positive"]}}
#: annotators read tasks through the API only where the project shows them the Data Manager (not here)
READER = {"annotator": 403}

#: endpoint -> (method, query string, JSON body (a function of the ids), status when granted, {caller: status})
ROUTES = {
    "api.task_import": ("POST", "", lambda ids: [{"text": "new"}], 201, {}),
    "api.prediction_import": ("POST", "", lambda ids: [{"task": ids["task_id"], "result": [CHOICE]}], 201, {}),
    "api.task_export": ("GET", "?exportType=JSON", None, 200, {}),
    "api.task_export_formats": ("GET", "", None, 200, {}),
    "api.task_list": ("GET", "?project={project_id}", None, 200, READER),
    "api.task_create": ("POST", "", lambda ids: {"project": ids["project_id"], "data": {"text": "x"}}, 201, {}),
    "api.task_detail": ("GET", "", None, 200, READER),
    "api.task_update": ("PATCH", "", lambda ids: {"data": {"text": "changed"}}, 200, {}),
    "api.task_delete": ("DELETE", "", None, 204, {}),
    "api.project_tasks": ("GET", "", None, 200, READER),
    "api.prediction_list": ("GET", "?task={task_id}", None, 200, READER),
    "api.prediction_create": ("POST", "", lambda ids: {"task": ids["task_id"], "result": [CHOICE]}, 201, {}),
    "api.prediction_detail": ("GET", "", None, 200, READER),
    "api.prediction_update": ("PATCH", "", lambda ids: {"score": 0.25}, 200, {}),
    "api.prediction_delete": ("DELETE", "", None, 204, {}),
}


def _endpoints(app):
    return {rule.endpoint for rule in app.url_map.iter_rules()
            if app.view_functions[rule.endpoint].__module__ == "app.api.tasks"}


def test_table_lists_every_task_endpoint(app):
    endpoints = _endpoints(app)
    assert endpoints - ROUTES.keys() == set(), "add the new endpoints of app.api.tasks to ROUTES"
    assert ROUTES.keys() - endpoints == set(), "ROUTES names endpoints that do not exist"


def test_every_method_of_a_route_is_covered(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in ROUTES:
            assert ROUTES[rule.endpoint][0] in rule.methods, rule.rule


@pytest.fixture
def ids(db, dummy_project, people):
    open_to_team(db, dummy_project, people)
    items = '{"data": {"text": "a"}, "predictions": [{"result": []}], "annotations": [{"result": []}]}'
    import_tasks(people["owner"], dummy_project, stream(items), filename="t.jsonl")
    db.session.commit()
    task_id = db.session.execute(select(Task.id).where(Task.project_id == dummy_project.id)).scalar_one()
    prediction_id = db.session.execute(select(Prediction.id).where(Prediction.task_id == task_id)).scalar_one()
    return {"project_id": dummy_project.id, "task_id": task_id, "prediction_id": prediction_id}


def _expected(app, endpoint, caller):
    _, _, _, granted, overrides = ROUTES[endpoint]
    fixed = {"anonymous": 401, "outsider": 404, "deactivated": 404, "pending": 403}
    if caller in fixed:
        return fixed[caller]
    if caller in overrides:
        return overrides[caller]
    roles = PERMISSIONS[app.view_functions[endpoint].permission][1]
    return granted if caller in {r.value for r in roles} else 403


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("endpoint", sorted(ROUTES))
def test_matrix(app, client_for, people, ids, endpoint, caller):
    method, query, make_body, _, _ = ROUTES[endpoint]
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    with app.test_request_context():
        url = url_for(endpoint, **{k: v for k, v in ids.items() if k in rule.arguments}) + query.format(**ids)
    client = client_for(None if caller == "anonymous" else people[caller])
    response = client.open(url, method=method, json=make_body(ids) if make_body else None)
    text = response.get_data(as_text=True)  # also drains streamed responses
    expected = _expected(app, endpoint, caller)
    assert response.status_code == expected, f"{caller} {method} {url}: {response.status_code}, expected {expected}\n{text[:300]}"
    if response.status_code >= 400:
        assert response.get_json()["status_code"] == expected  # the API's envelope, never an HTML page
