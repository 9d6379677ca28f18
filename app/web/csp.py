"""Content-Security-Policy for every HTML response, with a per-response nonce.

Templates put ``nonce="{{ csp_nonce() }}"`` on every ``<script>`` and ``<style>`` they emit; the header allows
only those and the app's own files. No ``unsafe-inline`` for scripts and no ``unsafe-eval`` for the page:
sandboxed plugins evaluate their code in their own frame, whose document sets its own policy
(app/plugins/runtime_views.py).

An htmx request swaps a fragment into a document whose policy is already fixed, so the fragment must carry the
document's nonce, not a new one: the page sends its nonce back in ``X-Tessera-Nonce`` (body ``hx-headers``), and
a response to an htmx request uses it. Only the page's own script can set that header (a cross-site request
cannot carry custom headers), and markup injected into a fragment still lacks the nonce.
"""
import re
import secrets

from flask import g, has_request_context, request

NONCE_HEADER = "X-Tessera-Nonce"
_NONCE_FORMAT = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def csp_nonce():
    """This response's nonce (created on first use); empty outside a request (nothing to protect there)."""
    if not has_request_context():
        return ""
    nonce = g.get("_csp_nonce")
    if nonce is None:
        echoed = request.headers.get(NONCE_HEADER, "")
        if request.headers.get("HX-Request") == "true" and _NONCE_FORMAT.match(echoed):
            nonce = echoed
        else:
            nonce = secrets.token_urlsafe(18)
        g._csp_nonce = nonce
    return nonce


def allow_connect(origins):
    """Let the page ``fetch`` these https origins too (trusted plugins' allowlists)."""
    extra = g.setdefault("_csp_connect", [])
    for origin in origins or ():
        if isinstance(origin, str) and re.match(r"^https://[A-Za-z0-9.-]+(:\d+)?$", origin) and origin not in extra:
            extra.append(origin)


def policy(nonce, connect=()):
    connect_src = " ".join(["'self'", *connect])
    return (
        "default-src 'self'; "
        f"script-src 'self' 'nonce-{nonce}'; "
        f"style-src 'self' 'nonce-{nonce}'; "
        f"style-src-elem 'self' 'nonce-{nonce}'; "
        "style-src-attr 'unsafe-inline'; "
        "img-src 'self' data: blob: https:; "
        "media-src 'self' data: blob: https:; "
        "font-src 'self' data:; "
        f"connect-src {connect_src}; "
        "frame-src 'self'; "
        "worker-src 'self'; "
        "object-src 'none'; "
        "base-uri 'self'; "
        "form-action 'self'; "
        "frame-ancestors 'none'"
    )


def register(app):
    app.jinja_env.globals["csp_nonce"] = csp_nonce

    @app.after_request
    def content_security_policy(response):
        if response.mimetype == "text/html" and "Content-Security-Policy" not in response.headers:
            response.headers["Content-Security-Policy"] = policy(csp_nonce(), g.get("_csp_connect", ()))
            response.headers.setdefault("X-Content-Type-Options", "nosniff")
            response.headers.setdefault("Referrer-Policy", "same-origin")
        return response
