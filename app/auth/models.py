"""People and the credentials they sign in with."""
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import TimestampMixin, UTCDateTime
from app.extensions import db


class User(UserMixin, TimestampMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: always stored lower-cased, which makes the unique constraint case-insensitive
    email: Mapped[str] = mapped_column(String(254), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    #: as the identity provider or the directory gives them (single sign-on, SCIM, LDAP); ``name`` is what we show
    first_name: Mapped[str] = mapped_column(String(100), nullable=False, default="", server_default="")
    last_name: Mapped[str] = mapped_column(String(100), nullable=False, default="", server_default="")
    #: argon2 hash; null for people who only sign in through an identity provider
    password_hash: Mapped[str | None] = mapped_column(String(255))
    is_site_admin: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    #: false blocks sign-in everywhere (organization deactivation is per membership instead)
    is_active_account: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: the organization the API and the home page open by default
    active_org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id", ondelete="SET NULL"))

    memberships = relationship("OrgMember", back_populates="user", foreign_keys="OrgMember.user_id")
    identities = relationship("AuthIdentity", viewonly=True, order_by="AuthIdentity.id")

    @property
    def is_active(self):
        return self.is_active_account

    @property
    def display_name(self):
        return self.name or self.email

    @property
    def initials(self):
        parts = (self.name or self.email).replace("@", " ").split()
        return "".join(p[0] for p in parts[:2]).lower()

    def __repr__(self):
        return f"<User {self.id} {self.email}>"


class ApiToken(TimestampMixin, db.Model):
    """A personal API key; only its SHA-256 is stored, the key itself is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False, default="API token")
    #: hex SHA-256 of the key
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    #: first characters of the key, so people can tell their tokens apart
    prefix: Mapped[str] = mapped_column(String(12), nullable=False)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user = relationship("User")

    @property
    def is_revoked(self):
        return self.revoked_at is not None


class AuthIdentity(TimestampMixin, db.Model):
    """How a person is known to an identity provider or directory, kept apart from the account itself.

    ``provider`` names the source ("saml:<organization id>", "ldap"); ``identifier`` is what it calls the person
    (the SAML NameID, the LDAP DN).
    """

    __tablename__ = "auth_identities"
    __table_args__ = (UniqueConstraint("provider", "identifier"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    provider: Mapped[str] = mapped_column(String(100), nullable=False)
    identifier: Mapped[str] = mapped_column(String(500), nullable=False)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user = relationship("User")


def identity_sources(user, org):
    """How ``org``'s identity provider or the directory knows ``user``: "SSO", "SCIM", "LDAP" (for the members
    list). Identities of other organizations' providers are not ``org``'s business."""
    names = {f"saml:{org.id}": "SSO", f"scim:{org.id}": "SCIM", "ldap": "LDAP"}
    return sorted({names[i.provider] for i in user.identities if i.provider in names})
