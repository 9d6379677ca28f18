"""Listing Users and Groups: scim2-models parses and evaluates the filter; we choose the rows and the page.

Filters are evaluated in Python over the organization's resources, which keeps every operator, ``and``/``or``/
``not`` and precedence exactly as the library reads them. The lookups identity providers make all day
(``userName eq "..."``, ``externalId eq "..."``, ``id eq "..."``) are narrowed in SQL first.
"""
from dataclasses import dataclass

from scim2_models import SearchRequest
from scim2_models.path import CompareOperator, Comparison
from sqlalchemy import func
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.orgs.models import OrgMember
from app.scim import resources, services
from app.sso.models import ScimGroup, ScimGroupMember


@dataclass
class Page:
    total: int
    start_index: int
    resources: list


def _equality(scim_filter):
    """(attribute, value) of a filter that is one ``eq`` comparison on a plain attribute, else None."""
    node = scim_filter.ast if scim_filter is not None else None
    if not isinstance(node, Comparison) or node.op != CompareOperator.eq or node.attr_path.sub_attr:
        return None
    if not isinstance(node.value, str):
        return None
    return node.attr_path.attr.lower(), node.value


def _member_rows(org, scim_filter):
    query = services.live_members().where(OrgMember.org_id == org.id)
    lookup = _equality(scim_filter)
    if lookup is not None:
        attr, value = lookup
        if attr == "id":
            query = query.where(OrgMember.user_id == (int(value) if value.isdigit() else -1))
        elif attr == "externalid":
            query = query.where(OrgMember.external_id == value)
        elif attr == "username":
            member = services.member_with_user_name(org, value)
            query = query.where(OrgMember.user_id == (member.user_id if member else -1))
    return db.session.execute(query).scalars().all()


def _group_rows(org, scim_filter):
    query = ScimGroup.for_org(org).order_by(ScimGroup.id).options(
        selectinload(ScimGroup.members).selectinload(ScimGroupMember.user))
    lookup = _equality(scim_filter)
    if lookup is not None:
        attr, value = lookup
        if attr == "id":
            query = query.where(ScimGroup.id == (resources.group_number(value) or -1))
        elif attr == "externalid":
            query = query.where(ScimGroup.external_id == value)
        elif attr == "displayname":
            query = query.where(func.lower(ScimGroup.display_name) == value.lower())
    return db.session.execute(query).scalars().all()


def candidates(org, model, scim_filter):
    if model is resources.User:
        return services.user_resources(org, _member_rows(org, scim_filter))
    return [resources.group_resource(g) for g in _group_rows(org, scim_filter)]


def search(org, models, request: SearchRequest):
    """The page ``request`` asks for, over ``models`` (one type for /Users or /Groups, both for /.search)."""
    found = []
    for model in models:
        found.extend(r for r in candidates(org, model, request.filter)
                     if request.filter is None or request.filter.match(r))
    # stable order across pages: by type then id, unless the client sorts
    found = request.sort(found) if request.sort_by is not None else found
    count = resources.MAX_PAGE_SIZE if request.count is None else min(request.count, resources.MAX_PAGE_SIZE)
    start = request.start_index_0 or 0
    return Page(total=len(found), start_index=start + 1, resources=found[start:start + count])

