"""labeling: task reservations, drafts, annotation versions, skip comments

Revision ID: 25f1fc558954
Revises: 249649aa5f1d
Create Date: 2026-11-22 14:54:42.238821
"""
from alembic import op
import sqlalchemy as sa

from app.db import UTCDateTime


revision = '25f1fc558954'
down_revision = '249649aa5f1d'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('task_reservations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('expires_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_task_reservations_project_id_projects'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], name=op.f('fk_task_reservations_task_id_tasks'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_task_reservations_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_task_reservations')),
    sa.UniqueConstraint('task_id', 'user_id', name=op.f('uq_task_reservations_task_id_user_id'))
    )
    with op.batch_alter_table('task_reservations', schema=None) as batch_op:
        batch_op.create_index('ix_task_reservations_project_id_expires_at', ['project_id', 'expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_task_reservations_user_id'), ['user_id'], unique=False)

    op.create_table('annotation_drafts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('annotation_id', sa.Integer(), nullable=True),
    sa.Column('result', sa.JSON(), nullable=False),
    sa.Column('lead_time', sa.Float(), nullable=True),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['annotation_id'], ['annotations.id'], name=op.f('fk_annotation_drafts_annotation_id_annotations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_annotation_drafts_project_id_projects'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], name=op.f('fk_annotation_drafts_task_id_tasks'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_annotation_drafts_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_annotation_drafts')),
    sa.UniqueConstraint('task_id', 'user_id', name=op.f('uq_annotation_drafts_task_id_user_id'))
    )
    with op.batch_alter_table('annotation_drafts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_annotation_drafts_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_annotation_drafts_user_id'), ['user_id'], unique=False)

    op.create_table('annotation_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('annotation_id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('result', sa.JSON(), nullable=False),
    sa.Column('lead_time', sa.Float(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['annotation_id'], ['annotations.id'], name=op.f('fk_annotation_versions_annotation_id_annotations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_annotation_versions_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_annotation_versions_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_annotation_versions'))
    )
    with op.batch_alter_table('annotation_versions', schema=None) as batch_op:
        batch_op.create_index('ix_annotation_versions_annotation_id_id', ['annotation_id', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_annotation_versions_project_id'), ['project_id'], unique=False)

    with op.batch_alter_table('annotations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('comment', sa.Text(), nullable=True))



def downgrade():
    with op.batch_alter_table('annotations', schema=None) as batch_op:
        batch_op.drop_column('comment')

    with op.batch_alter_table('annotation_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_annotation_versions_project_id'))
        batch_op.drop_index('ix_annotation_versions_annotation_id_id')

    op.drop_table('annotation_versions')
    with op.batch_alter_table('annotation_drafts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_annotation_drafts_user_id'))
        batch_op.drop_index(batch_op.f('ix_annotation_drafts_project_id'))

    op.drop_table('annotation_drafts')
    with op.batch_alter_table('task_reservations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_task_reservations_user_id'))
        batch_op.drop_index('ix_task_reservations_project_id_expires_at')

    op.drop_table('task_reservations')
