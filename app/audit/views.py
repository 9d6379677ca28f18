"""The organization's audit log (Owner and Admin): filters, older entries, CSV export, retention."""
import csv
import io
import json

from flask import Blueprint, Response, flash, g, request, stream_with_context, url_for
from flask_login import current_user

from app.audit import services
from app.audit.forms import FILTER_FIELDS, AuditFilterForm, RetentionForm
from app.audit.models import AuditEntry, chain_key
from app.db import utcnow
from app.extensions import db
from app.security.decorators import require
from app.web.errors import error_response
from app.web.forms import submit
from app.web.htmx import hx_redirect, render, wants_partial

bp = Blueprint("audit", __name__, url_prefix="/o/<org_slug>/audit")

PAGE_SIZE = 50
EXPORT_BATCH = 500
CSV_COLUMNS = ("id", "seq", "time", "actor_email", "action", "target_type", "target_id", "target_label", "data", "ip",
               "user_agent")


def _filter_args():
    """The filters as typed, for links that keep them (older entries, export)."""
    return {name: request.args[name] for name in FILTER_FIELDS if request.args.get(name)}


def _entries(form, before=None):
    """One page of entries, newest first, and the ``seq`` to continue from (None on the last page)."""
    query = services.search_entries(g.org, **form.filters()).order_by(AuditEntry.seq.desc())
    if before:
        query = query.where(AuditEntry.seq < before)
    entries = db.session.execute(query.limit(PAGE_SIZE + 1)).scalars().all()
    if len(entries) > PAGE_SIZE:
        entries = entries[:PAGE_SIZE]
        return entries, entries[-1].seq
    return entries, None


def _log_context(form, before=None):
    valid = form.validate()
    entries, older = _entries(form, before) if valid else ([], None)
    args = _filter_args()
    return valid, {
        "form": form,
        "entries": entries,
        "older_url": url_for("audit.log", org_slug=g.org.slug, **args, before=older) if older else None,
        "export_url": url_for("audit.export", org_slug=g.org.slug, **args),
        "summary": services.change_summary,
        "filtered": bool(args),
    }


def _full_page(form, status=200, retention_form=None, retention_saved=False):
    valid, context = _log_context(form, request.args.get("before", type=int))
    # Verifying reads the whole chain, so it runs for full page loads only, not for each htmx swap.
    chain = services.verify_chain(chain_key(g.org.id))
    retention_form = retention_form or RetentionForm(formdata=None, audit_retention_days=g.org.audit_retention_days)
    return render("audit/log.html", status=status if valid else 422, chain=chain, retention_form=retention_form,
                  retention_saved=retention_saved, **context)


@bp.route("")
@require("audit.view")
def log():
    """Entries of this organization's chain, newest first, with filters and a banner when the chain is broken."""
    form = AuditFilterForm(formdata=request.args)
    if wants_partial():
        before = request.args.get("before", type=int)
        valid, context = _log_context(form, before)
        # "Load older" appends rows; a filter change replaces the whole result.
        template = "audit/_rows.html" if before else "audit/_results.html"
        return render(template, status=200 if valid else 422, **context)
    return _full_page(form)


def _cell(value):
    """A CSV cell that spreadsheets will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _csv_row(entry):
    return [_cell(v) for v in (
        entry.id, entry.seq, entry.created_at.isoformat(), entry.actor_email, entry.action, entry.target_type,
        entry.target_id, entry.target_label, json.dumps(entry.data, sort_keys=True, default=str), entry.ip,
        entry.user_agent,
    )]


@bp.route("/export.csv")
@require("audit.view")
def export():
    """The filtered entries as CSV, oldest first, streamed in batches."""
    form = AuditFilterForm(formdata=request.args)
    if not form.validate():
        messages = "; ".join(f"{form[name].label.text}: {errors[0]}" for name, errors in form.errors.items())
        return error_response(422, f"The filters are not valid ({messages}).")
    filters = form.filters()
    # Recorded here, not in the generator: the request's transaction commits before the stream runs.
    services.record(current_user, g.org, "audit.exported",
                    data={"filters": {key: str(value) for key, value in filters.items()}})
    query = services.search_entries(g.org, **filters).order_by(AuditEntry.seq).execution_options(yield_per=EXPORT_BATCH)

    def generate():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(CSV_COLUMNS)
        for batch in db.session.execute(query).scalars().partitions():
            writer.writerows(_csv_row(entry) for entry in batch)
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
        yield buffer.getvalue()

    filename = f"audit-{g.org.slug}-{utcnow():%Y%m%d-%H%M%S}.csv"
    response = Response(stream_with_context(generate()), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/retention", methods=["POST"])
@require("org.settings")
def retention():
    """How many days entries are kept (empty keeps them forever); ``flask audit purge`` deletes older ones."""
    form = RetentionForm()
    ok, _ = submit(form, lambda: services.set_retention(current_user, g.org, form.audit_retention_days.data))
    if ok:
        if not wants_partial():
            flash("The retention period was saved.", "success")
            return hx_redirect(url_for("audit.log", org_slug=g.org.slug))
        return render("audit/_retention.html", retention_form=form, retention_saved=True)
    if wants_partial():
        return render("audit/_retention.html", status=422, retention_form=form, retention_saved=False)
    return _full_page(AuditFilterForm(formdata=None), status=422, retention_form=form)
