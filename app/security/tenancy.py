"""Resolving the organization in the URL and the signed-in person's membership in it, once per request."""
from flask import g
from sqlalchemy import select

from app.extensions import db


def once_per_request(fn):
    """Remember ``fn``'s answer for the rest of the request, keyed by the ids of its (model) arguments.

    For questions asked several times while answering one request (a person's role in a project, whether they
    see it), whose answer a request does not change for the person asking.
    """
    import functools

    from flask import has_request_context

    @functools.wraps(fn)
    def remembered(*args):
        if not has_request_context():
            return fn(*args)
        key = (fn.__qualname__, *(getattr(arg, "id", arg) for arg in args))
        answers = g.setdefault("answers", {})
        if key not in answers:
            answers[key] = fn(*args)
        return answers[key]

    return remembered


def current_org():
    return g.get("org")


def current_member():
    return g.get("member")


def load_org(slug, user):
    """Put the organization and the user's membership in ``g``; both None when the slug is unknown."""
    from app.orgs.models import Organization, OrgMember

    org = db.session.execute(select(Organization).where(Organization.slug == slug)).scalar_one_or_none()
    member = None
    if org is not None and user is not None and user.is_authenticated:
        member = db.session.execute(
            select(OrgMember).where(OrgMember.org_id == org.id, OrgMember.user_id == user.id)
        ).scalar_one_or_none()
    g.org, g.member = org, member
    return org, member
