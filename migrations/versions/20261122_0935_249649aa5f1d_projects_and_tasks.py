"""projects and tasks

Revision ID: 249649aa5f1d
Revises: 80624dc840b6
Create Date: 2026-11-22 09:35:38.644739
"""
from alembic import op
import sqlalchemy as sa

from app.db import UTCDateTime


revision = '249649aa5f1d'
down_revision = '80624dc840b6'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('projects',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('color', sa.String(length=7), nullable=False),
    sa.Column('label_config', sa.Text(), nullable=False),
    sa.Column('instructions', sa.Text(), nullable=False),
    sa.Column('show_instructions', sa.Boolean(), nullable=False),
    sa.Column('is_published', sa.Boolean(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.Column('assignment', sa.Enum('auto', 'manual', name='project_assignment', native_enum=False, length=30), nullable=False),
    sa.Column('ordering', sa.Enum('id', 'random', 'uncertainty', name='project_ordering', native_enum=False, length=30), nullable=False),
    sa.Column('reservation_minutes', sa.Integer(), nullable=False),
    sa.Column('skip_queue', sa.Enum('requeue_to_me', 'requeue_to_others', 'ignore', name='project_skip_queue', native_enum=False, length=30), nullable=False),
    sa.Column('allow_skip', sa.Boolean(), nullable=False),
    sa.Column('require_skip_comment', sa.Boolean(), nullable=False),
    sa.Column('allow_empty_annotations', sa.Boolean(), nullable=False),
    sa.Column('reveal_preannotations', sa.Boolean(), nullable=False),
    sa.Column('show_dm_to_annotators', sa.Boolean(), nullable=False),
    sa.Column('overlap', sa.Integer(), nullable=False),
    sa.Column('overlap_percentage', sa.Integer(), nullable=False),
    sa.Column('show_overlap_first', sa.Boolean(), nullable=False),
    sa.Column('limit_count', sa.Integer(), nullable=True),
    sa.Column('limit_percent', sa.Integer(), nullable=True),
    sa.Column('agreement_settings', sa.JSON(), nullable=False),
    sa.Column('review_settings', sa.JSON(), nullable=False),
    sa.Column('model_version', sa.String(length=200), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_projects_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_projects_org_id_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_projects_workspace_id_workspaces'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_projects'))
    )
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_projects_org_id'), ['org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_projects_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('dm_views',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('columns', sa.JSON(), nullable=False),
    sa.Column('filters', sa.JSON(), nullable=False),
    sa.Column('ordering', sa.JSON(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_dm_views_project_id_projects'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_dm_views_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dm_views')),
    sa.UniqueConstraint('project_id', 'user_id', name=op.f('uq_dm_views_project_id_user_id'))
    )
    op.create_table('project_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.Enum('annotator', 'reviewer', name='project_role', native_enum=False, length=30), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_project_members_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_project_members_project_id_projects'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_project_members_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_project_members')),
    sa.UniqueConstraint('project_id', 'user_id', name=op.f('uq_project_members_project_id_user_id'))
    )
    with op.batch_alter_table('project_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project_members_user_id'), ['user_id'], unique=False)

    op.create_table('task_imports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('filename', sa.String(length=300), nullable=True),
    sa.Column('format', sa.String(length=10), nullable=False),
    sa.Column('task_count', sa.Integer(), nullable=False),
    sa.Column('annotation_count', sa.Integer(), nullable=False),
    sa.Column('prediction_count', sa.Integer(), nullable=False),
    sa.Column('duration', sa.Float(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_task_imports_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_task_imports_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_task_imports'))
    )
    with op.batch_alter_table('task_imports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_task_imports_project_id'), ['project_id'], unique=False)

    op.create_table('tasks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('inner_id', sa.Integer(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('meta', sa.JSON(), nullable=False),
    sa.Column('allow_skip', sa.Boolean(), nullable=False),
    sa.Column('import_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('total_annotations', sa.Integer(), nullable=False),
    sa.Column('cancelled_annotations', sa.Integer(), nullable=False),
    sa.Column('total_predictions', sa.Integer(), nullable=False),
    sa.Column('is_labeled', sa.Boolean(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['import_id'], ['task_imports.id'], name=op.f('fk_tasks_import_id_task_imports'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_tasks_project_id_projects'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_tasks_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tasks')),
    sa.UniqueConstraint('project_id', 'inner_id', name=op.f('uq_tasks_project_id_inner_id'))
    )
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.create_index('ix_tasks_project_id_id', ['project_id', 'id'], unique=False)
        batch_op.create_index('ix_tasks_project_id_total_annotations', ['project_id', 'total_annotations', 'id'], unique=False)
        batch_op.create_index('ix_tasks_project_id_updated_at', ['project_id', 'updated_at', 'id'], unique=False)

    op.create_table('predictions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('model_version', sa.String(length=200), nullable=False),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('result', sa.JSON(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_predictions_project_id_projects'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], name=op.f('fk_predictions_task_id_tasks'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_predictions'))
    )
    with op.batch_alter_table('predictions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_predictions_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_predictions_task_id'), ['task_id'], unique=False)

    op.create_table('task_assignments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_task_assignments_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_task_assignments_project_id_projects'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], name=op.f('fk_task_assignments_task_id_tasks'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_task_assignments_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_task_assignments')),
    sa.UniqueConstraint('task_id', 'user_id', 'kind', name=op.f('uq_task_assignments_task_id_user_id_kind'))
    )
    with op.batch_alter_table('task_assignments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_task_assignments_user_id'), ['user_id'], unique=False)

    op.create_table('annotations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('completed_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('result', sa.JSON(), nullable=False),
    sa.Column('was_cancelled', sa.Boolean(), nullable=False),
    sa.Column('ground_truth', sa.Boolean(), nullable=False),
    sa.Column('lead_time', sa.Float(), nullable=True),
    sa.Column('last_action', sa.String(length=30), nullable=True),
    sa.Column('import_id', sa.Integer(), nullable=True),
    sa.Column('parent_prediction_id', sa.Integer(), nullable=True),
    sa.Column('parent_annotation_id', sa.Integer(), nullable=True),
    sa.Column('draft_created_at', UTCDateTime(), nullable=True),
    sa.Column('unique_id', sa.String(length=36), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['completed_by_id'], ['users.id'], name=op.f('fk_annotations_completed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['import_id'], ['task_imports.id'], name=op.f('fk_annotations_import_id_task_imports'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['parent_annotation_id'], ['annotations.id'], name=op.f('fk_annotations_parent_annotation_id_annotations'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['parent_prediction_id'], ['predictions.id'], name=op.f('fk_annotations_parent_prediction_id_predictions'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_annotations_project_id_projects'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], name=op.f('fk_annotations_task_id_tasks'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_annotations_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_annotations'))
    )
    with op.batch_alter_table('annotations', schema=None) as batch_op:
        batch_op.create_index('ix_annotations_project_id_completed_by_id', ['project_id', 'completed_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_annotations_task_id'), ['task_id'], unique=False)

    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('updated_at', UTCDateTime(), nullable=True))
    # Existing organizations were last updated when they were created.
    op.execute("UPDATE organizations SET updated_at = created_at")
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.alter_column('updated_at', existing_type=UTCDateTime(), nullable=False)

    with op.batch_alter_table('workspaces', schema=None) as batch_op:
        batch_op.create_index('uq_workspaces_sandbox_owner', ['org_id', 'created_by_id'], unique=True, sqlite_where=sa.text('is_sandbox'), postgresql_where=sa.text('is_sandbox'))



def downgrade():
    with op.batch_alter_table('workspaces', schema=None) as batch_op:
        batch_op.drop_index('uq_workspaces_sandbox_owner', sqlite_where=sa.text('is_sandbox'), postgresql_where=sa.text('is_sandbox'))

    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.drop_column('updated_at')

    with op.batch_alter_table('annotations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_annotations_task_id'))
        batch_op.drop_index('ix_annotations_project_id_completed_by_id')

    op.drop_table('annotations')
    with op.batch_alter_table('task_assignments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_task_assignments_user_id'))

    op.drop_table('task_assignments')
    with op.batch_alter_table('predictions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_predictions_task_id'))
        batch_op.drop_index(batch_op.f('ix_predictions_project_id'))

    op.drop_table('predictions')
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.drop_index('ix_tasks_project_id_updated_at')
        batch_op.drop_index('ix_tasks_project_id_total_annotations')
        batch_op.drop_index('ix_tasks_project_id_id')

    op.drop_table('tasks')
    with op.batch_alter_table('task_imports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_task_imports_project_id'))

    op.drop_table('task_imports')
    with op.batch_alter_table('project_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_project_members_user_id'))

    op.drop_table('project_members')
    op.drop_table('dm_views')
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_projects_workspace_id'))
        batch_op.drop_index(batch_op.f('ix_projects_org_id'))

    op.drop_table('projects')
