"""The SCIM resources Tessera serves, described by scim2-models, and how rows become resources.

Only attributes Tessera stores and returns are declared: the published schemas are built from these classes, so
a client fills nothing we would drop. ``userName`` is what the identity provider calls the person (usually the
e-mail address); the account's e-mail address is the work e-mail in ``emails``.
"""
from typing import Annotated

from flask import url_for
from pydantic import Field
from scim2_models import (
    URN,
    AuthenticationScheme,
    Bulk,
    CaseExact,
    ChangePassword,
    ComplexAttribute,
    ETag,
    Filter,
    Meta,
    Mutability,
    Pagination,
    Patch,
    Reference,
    Required,
    Resource,
    ScimPolicy,
    ScimProvider,
    ServiceProviderConfig,
    Sort,
    Uniqueness,
)

from app.security.roles import Role

#: the largest page a list answers, whatever ``count`` asks for
MAX_PAGE_SIZE = 200
WORK = "work"


class Name(ComplexAttribute):
    """The parts of the person's name."""

    given_name: str | None = None
    family_name: str | None = None
    #: the name Tessera shows, the same value as ``displayName``
    formatted: str | None = None


class Email(ComplexAttribute):
    """The person's work e-mail address: the account's address, used to sign in."""

    value: Annotated[str | None, Required.true] = None
    type: str | None = Field(None, examples=[WORK])


class UserGroup(ComplexAttribute):
    """A SCIM group the person belongs to (change it through the group)."""

    value: Annotated[str | None, Mutability.read_only, CaseExact.true] = None
    ref: Annotated[Reference["Group"] | None, Mutability.read_only] = Field(
        None, serialization_alias="$ref", validation_alias="$ref")
    display: Annotated[str | None, Mutability.read_only] = None


class User(Resource):
    """A person in the organization: one membership that the identity provider manages."""

    __schema__ = URN("urn:ietf:params:scim:schemas:core:2.0:User")

    user_name: Annotated[str | None, Uniqueness.server, Required.true] = None
    name: Name | None = None
    display_name: str | None = None
    # ``active`` and ``emails`` are required so that every whole User states them (neither can be "unassigned":
    # a membership is active or not, an account has an address); the views fill them in when a POST or PUT
    # leaves them out, from the userName and the current state.
    #: false deactivates the membership (the person's work is kept); true gives the role the groups map, else Pending
    active: Annotated[bool | None, Required.true] = None
    emails: Annotated[list[Email] | None, Required.true] = None
    groups: Annotated[list[UserGroup] | None, Mutability.read_only] = None


class GroupMember(ComplexAttribute):
    """A person in the group: ``value`` is the User's id."""

    value: Annotated[str | None, Mutability.immutable, CaseExact.true] = None
    ref: Annotated[Reference["User"] | None, Mutability.immutable] = Field(
        None, serialization_alias="$ref", validation_alias="$ref")
    display: Annotated[str | None, Mutability.read_only] = None


class Group(Resource):
    """A group of people; the organization's group mapping turns it into roles, workspaces and project roles."""

    __schema__ = URN("urn:ietf:params:scim:schemas:core:2.0:Group")

    display_name: Annotated[str | None, Required.true, Uniqueness.server] = None
    members: list[GroupMember] | None = None


#: Identity providers depart from the specification in known ways (Entra sends the removed member as the value
#: of a ``remove``, and expects a ``replace`` of ``emails[type eq "work"].value`` to create the entry); attributes
#: we do not keep, such as ``emails.primary`` or an enterprise extension, are dropped rather than refused.
POLICY = ScimPolicy(
    unknown=ScimPolicy.Unknown.ignore,
    remove_value_as_filter=ScimPolicy.RemoveValue.apply,
    unmatched_path_filter=ScimPolicy.UnmatchedPathFilter.create,
)

CONFIG = ServiceProviderConfig(
    patch=Patch(supported=True),
    bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
    filter=Filter(supported=True, max_results=MAX_PAGE_SIZE),
    change_password=ChangePassword(supported=False),
    sort=Sort(supported=True),
    etag=ETag(supported=False),
    pagination=Pagination(cursor=False, index=True, default_page_size=MAX_PAGE_SIZE, max_page_size=MAX_PAGE_SIZE),
    authentication_schemes=[AuthenticationScheme(
        type=AuthenticationScheme.Type.oauthbearertoken, name="Bearer token", primary=True,
        description="The organization's SCIM token, created by its Owner: Authorization: Bearer <token>.",
    )],
)

PROVIDER = ScimProvider(models=[User, Group], config=CONFIG, policy=POLICY)


def group_ident(group_id):
    """A group's SCIM id: ids are unique across every resource (RFC 7643 section 3.1), and users have the plain
    account number, so group numbers carry a prefix."""
    return f"g{group_id}"


def group_number(ident):
    """The ScimGroup primary key a SCIM group id names, or None."""
    text = str(ident or "")
    return int(text[1:]) if text[:1] == "g" and text[1:].isdigit() else None


def location(endpoint, ident):
    return url_for(f"scim.{endpoint}", ident=str(ident), _external=True)


def _meta(resource_type, endpoint, ident, created, *modified):
    last = max([created, *(m for m in modified if m is not None)])
    return Meta(resource_type=resource_type, created=created, last_modified=last, location=location(endpoint, ident))


def user_resource(member, user_name, groups):
    """The SCIM User for an organization membership; ``groups`` are the ScimGroup rows the person is in."""
    user = member.user
    name = None
    if user.first_name or user.last_name:
        # the display name rides along only with the name's parts, so removing ``name`` leaves ``displayName``
        name = Name(given_name=user.first_name or None, family_name=user.last_name or None,
                    formatted=user.name or None)
    return User(
        id=str(user.id),
        external_id=member.external_id,
        user_name=user_name,
        name=name,
        display_name=user.name or None,
        active=member.role != Role.DEACTIVATED,
        emails=[Email(value=user.email, type=WORK)],
        groups=[UserGroup(value=group_ident(g.id), ref=location("group", group_ident(g.id)), display=g.display_name)
                for g in sorted(groups, key=lambda g: g.id)] or None,
        meta=_meta("User", "user", user.id, member.created_at, member.updated_at),
    )


def group_resource(group):
    members = sorted(group.members, key=lambda m: m.user_id)
    return Group(
        id=group_ident(group.id),
        external_id=group.external_id,
        display_name=group.display_name,
        members=[GroupMember(value=str(m.user_id), ref=location("user", m.user_id), display=m.user.name or None)
                 for m in members] or None,
        meta=_meta("Group", "group", group_ident(group.id), group.created_at, group.updated_at),
    )
