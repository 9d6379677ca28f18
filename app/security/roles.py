"""Organization and project roles, ordered from most to least powerful."""
import enum


class Role(enum.StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    MANAGER = "manager"
    REVIEWER = "reviewer"
    ANNOTATOR = "annotator"
    PENDING = "pending"
    DEACTIVATED = "deactivated"

    @property
    def label(self):
        return {"admin": "Administrator", "pending": "Pending (no role yet)"}.get(self.value, self.value.title())

    @property
    def rank(self):
        return RANK[self]

    @property
    def is_working(self):
        """True for the five roles that grant access to the organization."""
        return self in WORKING_ROLES

    @property
    def api_code(self):
        """Two-letter code used by the model product's API (OW, AD, MA, RE, AN, NO, DI)."""
        return API_CODES[self]


RANK = {
    Role.OWNER: 50,
    Role.ADMIN: 40,
    Role.MANAGER: 30,
    Role.REVIEWER: 20,
    Role.ANNOTATOR: 10,
    Role.PENDING: 0,
    Role.DEACTIVATED: -1,
}
WORKING_ROLES = frozenset({Role.OWNER, Role.ADMIN, Role.MANAGER, Role.REVIEWER, Role.ANNOTATOR})
API_CODES = {
    Role.OWNER: "OW",
    Role.ADMIN: "AD",
    Role.MANAGER: "MA",
    Role.REVIEWER: "RE",
    Role.ANNOTATOR: "AN",
    Role.PENDING: "NO",
    Role.DEACTIVATED: "DI",
}
#: Roles an Admin or Owner may hand out through invitations and role changes (Owner moves only by transfer).
ASSIGNABLE_ROLES = (Role.ADMIN, Role.MANAGER, Role.REVIEWER, Role.ANNOTATOR, Role.PENDING, Role.DEACTIVATED)
INVITABLE_ROLES = (Role.ADMIN, Role.MANAGER, Role.REVIEWER, Role.ANNOTATOR)


def parse_role(value):
    """Return the Role for ``value`` or refuse with a readable message."""
    from app.errors import Refused

    if isinstance(value, Role):
        return value
    try:
        return Role(str(value or "").strip().lower())
    except ValueError:
        raise Refused(f"Unknown role {value!r}. Choose one of: {', '.join(r.value for r in Role)}.", "role") from None
