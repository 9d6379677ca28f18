"""The Data Manager: a project's tasks table with filters, keyset pages, and bulk actions on a selection."""
from flask import Blueprint, Response, abort, flash, g, request, stream_with_context, url_for
from flask_login import current_user

from app.datamanager import query, services
from app.errors import Refused
from app.projects.access import project_org, role_in_project
from app.projects.models import Project
from app.security.decorators import require
from app.security.permissions import can
from app.security.roles import Role
from app.web.htmx import hx_redirect, render, wants_partial

bp = Blueprint("datamanager", __name__, url_prefix="/o/<org_slug>/projects/<project_id>/data")

PAGE = "datamanager/data.html"
TABLE = "datamanager/_table.html"
ROWS = "datamanager/_rows.html"
COUNT = "datamanager/_count.html"
#: the request arguments that carry a table state (any of them means "this state, not the saved one")
STATE_ARGS = frozenset({*query.FILTER_ARGS, "apply", "sort", "desc", "columns"})


def _only_for(project):
    """The person whose tasks alone are shown: the Annotator themself; None shows every task."""
    return current_user if role_in_project(g.member, project) == Role.ANNOTATOR else None


def _columns(keys):
    chosen = [key for key in keys if key in query.COLUMNS and key != "id"]
    return ["id"] + chosen


def _saved_state(project):
    view = services.saved_view(project, current_user)
    if view is None:
        return query.parse_filters({}), list(query.DEFAULT_COLUMNS), dict(query.DEFAULT_ORDERING)
    return (query.filters_from_saved(view.filters), _columns(view.columns or query.DEFAULT_COLUMNS),
            query.normalize_ordering(view.ordering))


def _state(project, remember=True):
    """``(filters, columns, ordering, shown filters)``: the request's state if it names one, else the saved one."""
    # A valid state is remembered; invalid filters come back as ``shown`` (with their messages) while the
    # table keeps the saved ones, so a typo never empties the table.
    saved = _saved_state(project)
    if not STATE_ARGS & set(request.args):
        return (*saved, saved[0])
    filters = query.parse_filters(request.args)
    # The form always sends columns=id, so no "columns" at all (the "clear" link) keeps the saved ones.
    columns = _columns(request.args.getlist("columns")) if "columns" in request.args else saved[1]
    ordering = saved[2] if "sort" not in request.args else query.normalize_ordering(
        {"key": request.args.get("sort"), "desc": request.args.get("desc") == "1"})
    if filters.errors:
        return saved[0], columns, ordering, filters
    if remember:
        services.save_view(project, current_user, columns=columns, filters=query.filters_to_saved(filters),
                           ordering=ordering)
    return filters, columns, ordering, filters


def _state_args(filters, columns, ordering, **overrides):
    args = {name: value for name, value in filters.values.items() if value}
    args.update(apply="1", columns=columns, sort=ordering["key"], desc="1" if ordering["desc"] else "0")
    args.update(overrides)
    return args


def _context(project, filters, columns, ordering, shown=None, after=None, **extra):
    only_for = _only_for(project)
    try:
        tasks, cursor = query.page(project, filters, ordering, after=after, only_for=only_for)
    except ValueError:
        abort(400)
    context = {
        "project": project, "filters": shown or filters, "columns": columns, "ordering": ordering,
        "tasks": tasks, "cursor": cursor, "annotators": query.annotators_of([t.id for t in tasks]),
        "preview": query.preview, "all_columns": query.COLUMNS, "sorts": query.SORTS, "count_ops": query.COUNT_OPS,
        "state_args": lambda **o: _state_args(filters, columns, ordering, **o), "scoped": only_for is not None,
        "can_select": can(current_user, g.member, "tasks.manage", project),
    }
    if after is None:
        context["people"] = [] if only_for is not None else services.assignable_members(project_org(project))
    context.update(extra)
    return context


@bp.route("")
@require("tasks.view", load=Project, arg="project_id")
def data(project):
    """The tasks table; ``after`` asks for the next page of rows only (the "Load more" button)."""
    after = request.args.get("after")
    filters, columns, ordering, shown = _state(project, remember=after is None)
    status = 422 if shown.errors else 200
    if after and wants_partial():
        return render(ROWS, ROWS, **_context(project, filters, columns, ordering, after=after))
    return render(PAGE, TABLE, status=status, **_context(project, filters, columns, ordering, shown, after=after))


@bp.route("/count")
@require("tasks.view", load=Project, arg="project_id")
def count(project):
    """How many tasks match, fetched after the table so a slow count never delays the page."""
    filters, _, _, shown = _state(project, remember=False)
    total = query.count(project, filters, _only_for(project), limit=query.COUNT_LIMIT)
    return render(COUNT, COUNT, status=422 if shown.errors else 200, filters=filters,
                  total=f"{query.COUNT_LIMIT}+" if total > query.COUNT_LIMIT else total)


def _selection(project):
    """The posted selection: ticked ids, or every task matching the posted filters with ``all_matching``."""
    if request.form.get("all_matching") == "1":
        filters = query.parse_filters(request.form)
        if filters.errors:
            raise Refused("The filters changed since the page was shown; apply them again.", "task_ids")
        return services.Selection(project, matching=query.matching_ids(project, filters, _only_for(project)))
    ids = [int(i) for i in request.form.getlist("task_ids") if i.isdigit()]
    return services.Selection(project, ids=ids)


def _after_action(project, change, notice):
    """Run a bulk ``change``; the table with a notice on success, or with the refusal and 422."""
    try:
        done = change(_selection(project))
    except Refused as exc:
        return render(PAGE, TABLE, status=422, **_context(project, *_saved_state(project), bulk_error=exc.message))
    message = notice(done)
    if wants_partial():
        return render(PAGE, TABLE, **_context(project, *_saved_state(project), notice=message))
    flash(message, "success")
    return hx_redirect(url_for("datamanager.data", org_slug=g.org.slug, project_id=project.id))


def _plural(n, word):
    return f"{n} {word}{'' if n == 1 else 's'}"


@bp.route("/delete", methods=["POST"])
@require("tasks.manage", load=Project, arg="project_id")
def delete_tasks(project):
    return _after_action(project, lambda s: services.delete_tasks(current_user, s),
                         lambda n: f"Deleted {_plural(n, 'task')}.")


@bp.route("/delete-annotations", methods=["POST"])
@require("tasks.manage", load=Project, arg="project_id")
def delete_annotations(project):
    return _after_action(project, lambda s: services.delete_annotations(current_user, s),
                         lambda done: f"Deleted {_plural(done[1], 'annotation')} of {_plural(done[0], 'task')}.")


@bp.route("/assign", methods=["POST"])
@require("tasks.manage", load=Project, arg="project_id")
def assign(project):
    chosen = [i for i in request.form.getlist("annotators") if i.isdigit()]
    if len(chosen) != len(request.form.getlist("annotators")):
        chosen = [*chosen, "0"]  # an unknown person: the service refuses the whole request
    return _after_action(project, lambda s: services.assign(current_user, s, chosen),
                         lambda done: f"Assigned {_plural(done[0], 'task')} ({done[1]} new assignments).")


@bp.route("/export", methods=["POST"])
@require("tasks.export", load=Project, arg="project_id")
def export(project):
    """Stream the selected tasks in the chosen format (a plain form post: the browser downloads the file)."""
    from app.tasks.exporting import export_stream

    try:
        selection = _selection(project)
        if not selection.count():
            raise Refused("Select at least one task.", "task_ids")
        chunks, content_type, filename = export_stream(project, request.form.get("format") or "JSON",
                                                       task_ids=selection.ids(), only_annotated=False,
                                                       actor=current_user)
    except Refused as exc:
        return render(PAGE, TABLE, status=422, **_context(project, *_saved_state(project), bulk_error=exc.message))
    response = Response(stream_with_context(chunks), content_type=content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
