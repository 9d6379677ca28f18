"""The one table of who may do what.

A permission is a dotted name. Its scope says what it is checked against:
- ``public``: anyone, signed in or not;
- ``user``: any signed-in person;
- ``site``: site administrators (the operators of this instance);
- ``org``: the person's role in the organization in the URL; object rules may narrow it further;
- ``scim``: an identity provider holding one of the organization's SCIM bearer tokens (no person signs in).
"""
from app.security.roles import Role

EVERY_WORKING_ROLE = frozenset({Role.OWNER, Role.ADMIN, Role.MANAGER, Role.REVIEWER, Role.ANNOTATOR})
REVIEWER_AND_UP = frozenset({Role.OWNER, Role.ADMIN, Role.MANAGER, Role.REVIEWER})
MANAGER_AND_UP = frozenset({Role.OWNER, Role.ADMIN, Role.MANAGER})
ADMIN_AND_UP = frozenset({Role.OWNER, Role.ADMIN})
OWNER_ONLY = frozenset({Role.OWNER})

#: permission -> (scope, roles granted it in the organization)
PERMISSIONS = {
    "public": ("public", frozenset()),
    "account.manage": ("user", frozenset()),
    "site.admin": ("site", frozenset()),
    # the organization
    "org.view": ("org", EVERY_WORKING_ROLE),
    "org.settings": ("org", ADMIN_AND_UP),
    "org.permissions": ("org", OWNER_ONLY),
    "org.transfer_ownership": ("org", OWNER_ONLY),
    "members.view": ("org", ADMIN_AND_UP),
    "members.invite": ("org", ADMIN_AND_UP),
    "members.change_role": ("org", ADMIN_AND_UP),
    "audit.view": ("org", ADMIN_AND_UP),
    # single sign-on: the identity provider, attribute names, group mapping, sign-in policy
    "sso.manage": ("org", ADMIN_AND_UP),
    #: SCIM bearer tokens reach every account of the organization, so only the Owner creates and revokes them
    "scim.tokens": ("org", OWNER_ONLY),
    "scim.provision": ("scim", frozenset()),
    # workspaces
    "workspaces.view": ("org", EVERY_WORKING_ROLE),
    "workspaces.create": ("org", MANAGER_AND_UP),
    "workspaces.manage": ("org", MANAGER_AND_UP),
    # projects (the projects issue fills these in; listed now so the table stays the single source)
    "projects.view": ("org", EVERY_WORKING_ROLE),
    "projects.create": ("org", MANAGER_AND_UP),
    "projects.manage": ("org", MANAGER_AND_UP),
    #: the Data Manager; Annotators only where the project allows it (app/projects/access.py)
    "tasks.view": ("org", EVERY_WORKING_ROLE),
    "tasks.manage": ("org", MANAGER_AND_UP),
    "tasks.import": ("org", MANAGER_AND_UP),
    "tasks.export": ("org", MANAGER_AND_UP),
    "labeling.annotate": ("org", EVERY_WORKING_ROLE),
    "review.decide": ("org", REVIEWER_AND_UP),
    #: narrowed to Owner and Admin by the organization's "Edit plugins" permission (app/projects/access.py)
    "plugins.edit": ("org", MANAGER_AND_UP),
    #: running a plugin in the page itself, with the user's session
    "plugins.trust": ("org", OWNER_ONLY),
    "plugins.request_access": ("org", MANAGER_AND_UP),
    "plugins.approve_access": ("site", frozenset()),
}


def scope_of(permission):
    try:
        return PERMISSIONS[permission][0]
    except KeyError:
        raise KeyError(f"Unknown permission {permission!r}; add it to app/security/permissions.py") from None


def role_has(role, permission):
    scope, roles = PERMISSIONS[permission]
    return scope == "org" and role in roles


def permissions_for(role):
    """Every org-scoped permission the role holds, for the API's ``permissions`` list."""
    return sorted(p for p, (scope, roles) in PERMISSIONS.items() if scope == "org" and role in roles)


#: model class -> function(user, member, permission, obj) -> bool, for rules that depend on the object
OBJECT_RULES = {}
#: model class -> function(member, obj) -> Role, for objects that may change a person's role (project roles)
ROLE_OVERRIDES = {}


def object_rule(model):
    def register(fn):
        OBJECT_RULES[model] = fn
        return fn

    return register


def role_override(model):
    def register(fn):
        ROLE_OVERRIDES[model] = fn
        return fn

    return register


def effective_role(member, obj=None):
    """The member's role, or the one an object (a project) gives them in its place."""
    override = ROLE_OVERRIDES.get(type(obj)) if obj is not None else None
    return override(member, obj) if override else member.role


def can(user, member, permission, obj=None):
    """May ``user`` (with ``member``, their membership in the current organization) do ``permission`` on ``obj``?"""
    scope = scope_of(permission)
    if scope == "public":
        return True
    if user is None or not user.is_authenticated:
        return False
    if scope == "user":
        return True
    if scope == "site":
        return bool(user.is_site_admin)
    if member is None or not role_has(effective_role(member, obj), permission):
        return False
    rule = OBJECT_RULES.get(type(obj)) if obj is not None else None
    return rule(user, member, permission, obj) if rule else True
