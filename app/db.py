"""Declarative base with a constraint naming convention, shared mixins and tenancy helpers."""
from datetime import UTC, datetime

from sqlalchemy import DateTime, MetaData
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow():
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Stores naive UTC, always returns aware UTC (SQLite drops the zone otherwise)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class TimestampMixin:
    #: when the row was created
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)


class OrgScoped:
    """Mixin for rows owned by an organization: queries go through ``for_org``."""

    @classmethod
    def for_org(cls, org):
        from app.extensions import db

        return db.select(cls).where(cls.org_id == org.id)


def configure_sqlite():
    """Make SQLite behave like the server databases.

    Foreign keys (and ON DELETE) are off unless each connection asks; and pysqlite's own transaction
    handling breaks SAVEPOINTs, so SQLAlchemy emits BEGIN itself (the SQLAlchemy documentation's recipe).
    A request that may write begins with BEGIN IMMEDIATE: SQLite cannot turn a read transaction into a write
    one once another connection has written, so such a request takes the write lock up front and waits its
    turn (busy_timeout) instead of failing. WAL lets reads go on meanwhile.
    """
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    @event.listens_for(Engine, "connect")
    def _on_connect(dbapi_connection, _record):
        if type(dbapi_connection).__module__.startswith("sqlite3"):
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=10000")
            cursor.execute("PRAGMA journal_mode=WAL")
            # In WAL mode this still never corrupts the database; a power cut may lose the last commits.
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

    @event.listens_for(Engine, "begin")
    def _on_begin(connection):
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("BEGIN IMMEDIATE" if request_writes() else "BEGIN")


def writes(when=None):
    """Mark a GET view that changes data (the labeling stream reserves a task), for SQLite's write lock;
    ``when`` (a function of nothing, reading the request) narrows it to the requests that do."""

    def mark(view):
        view.writes = when or True
        return view

    return mark


def request_writes():
    from flask import current_app, has_request_context, request

    if not has_request_context():
        return False
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        return True
    flag = getattr(current_app.view_functions.get(request.endpoint), "writes", False)
    return bool(flag() if callable(flag) else flag)


_configured = False


def configure_engines():
    global _configured
    if not _configured:
        configure_sqlite()
        _configured = True
