"""Every HX-* header Tessera reads or sends, in one place."""
import json

from flask import make_response, redirect, render_template, request


def is_htmx():
    return request.headers.get("HX-Request") == "true"


def wants_partial():
    """An htmx request that swaps a fragment (boosted and history-restore requests need the full page)."""
    return (
        is_htmx()
        and request.headers.get("HX-Boosted") != "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def render(page, partial=None, status=200, **context):
    """One route, two renderings: the partial for htmx swaps, else the page that includes it."""
    template = partial if partial and wants_partial() else page
    response = make_response(render_template(template, **context), status)
    response.headers["Vary"] = "HX-Request"
    return response


def hx_redirect(url, status=200):
    """After a successful htmx POST, ask the browser to navigate; plain requests get a 302/303."""
    if is_htmx():
        response = make_response("", status)
        response.headers["HX-Redirect"] = url
        return response
    return redirect(url, code=303 if request.method == "POST" else 302)


def hx_refresh():
    response = make_response("", 200)
    response.headers["HX-Refresh"] = "true"
    return response


def trigger(response, events):
    """Attach ``{"event:name": detail}`` events that other widgets listen for with ``from:body``."""
    existing = response.headers.get("HX-Trigger")
    merged = json.loads(existing) if existing else {}
    merged.update(events)
    response.headers["HX-Trigger"] = json.dumps(merged)
    return response


def current_url():
    """The page the htmx request came from (used for ``next=`` after an expired session)."""
    return request.headers.get("HX-Current-URL")
