"""The schema comes from Alembic only: every revision goes up and back down on this database."""
import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from app.extensions import db


@pytest.fixture
def scratch_app(app):
    """Run against the session's database, then leave it migrated to head as the rest of the suite expects."""
    with app.app_context():
        db.session.remove()
        yield app
        db.session.remove()
        upgrade()


def test_upgrade_downgrade_round_trip(scratch_app):
    downgrade(revision="base")
    assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
    upgrade()
    tables = set(inspect(db.engine).get_table_names())
    assert {"users", "organizations", "org_members", "workspaces", "workspace_members", "invitations",
            "api_tokens", "audit_entries", "audit_heads"} <= tables
    downgrade(revision="base")
    upgrade()


def test_models_match_the_migrations(scratch_app):
    """Autogenerate finds nothing to add: a model change without its migration fails here."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), db.metadata)
    assert diff == []
