"""Forms of the project pages: creation and one form per settings section.

Choice fields do not check their choices: the services refuse unknown values with a message that says why.
"""
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.projects.models import Assignment, Ordering, SkipQueue


def _options(*pairs):
    return [SelectChoice(value, label) for value, label in pairs]


def _id(value):
    return int(value) if str(value or "").isdigit() else None


class ProjectCreateForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired("Give the project a title."), Length(max=200)])
    description = TextAreaField("Description", validators=[Length(max=10_000)])
    #: choices are the workspaces the person may add projects to, filled in by the view
    workspace = SelectField("Workspace", coerce=_id, validate_choice=False,
                            validators=[DataRequired("Choose a workspace.")])
    template = SelectField("Start from", validate_choice=False)


class GeneralForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired("Give the project a title."), Length(max=200)])
    description = TextAreaField("Description", validators=[Length(max=10_000)])
    color = StringField("Colour", validators=[DataRequired("Pick a colour.")])
    workspace = SelectField("Workspace", coerce=_id, validate_choice=False,
                            validators=[DataRequired("Choose a workspace.")])
    is_published = BooleanField("Published: annotators and reviewers in the project can see it")


class LabelConfigForm(FlaskForm):
    label_config = TextAreaField("Labeling configuration (XML)", validators=[DataRequired("Write a configuration.")])


ASSIGNMENT = _options((Assignment.AUTO.value, "Automatic: the next task is chosen for each annotator"),
                      (Assignment.MANUAL.value, "Manual: annotators see only tasks assigned to them"))
ORDERING = _options((Ordering.BY_ID.value, "By task id"), (Ordering.RANDOM.value, "Random"),
                    (Ordering.UNCERTAINTY.value, "Prediction uncertainty (lowest score first)"))
SKIPPED = _options((SkipQueue.REQUEUE_TO_OTHERS.value, "Go back to the queue for others"),
                   (SkipQueue.REQUEUE_TO_ME.value, "Come back to the same annotator later"),
                   (SkipQueue.IGNORE.value, "Count as done (ignored)"))
METRICS = _options(("default", "Default for each control"), ("exact", "Exact match"),
                   ("overlap", "Span overlap / IoU"), ("edit_distance", "Edit distance"))
REJECTED = _options(("requeue", "Send the task back to the queue"), ("remove", "Remove the annotation"),
                    ("reviewer_choice", "Let the reviewer choose"))
PERCENT = NumberRange(1, 100, "A percentage is 1 to 100.")


class AnnotationForm(FlaskForm):
    instructions = TextAreaField("Instructions (Markdown)", validators=[Length(max=100_000)])
    show_instructions = BooleanField("Show the instructions before labeling")
    assignment = SelectField("Distribution", choices=ASSIGNMENT, validate_choice=False)
    ordering = SelectField("Task order", choices=ORDERING, validate_choice=False)
    reservation_minutes = IntegerField("Reserve an opened task for (minutes)",
                                       validators=[DataRequired("Give a number of minutes from 1 to 1440."),
                                                   NumberRange(1, 1440, "Reserve tasks for 1 to 1440 minutes.")])
    skip_queue = SelectField("Skipped tasks", choices=SKIPPED, validate_choice=False)
    allow_skip = BooleanField("Annotators may skip tasks")
    require_skip_comment = BooleanField("Require a comment to skip")
    allow_empty_annotations = BooleanField("Allow empty annotations")
    reveal_preannotations = BooleanField("Reveal pre-annotations only on demand")
    show_dm_to_annotators = BooleanField("Annotators may see the Data Manager (their own tasks only)")


class QualityForm(FlaskForm):
    overlap = IntegerField("Annotations per task (overlap)",
                           validators=[DataRequired("Give the overlap, from 1 to 100."),
                                       NumberRange(1, 100, "Overlap is 1 to 100.")])
    overlap_percentage = IntegerField("Apply the overlap to this share of tasks (%)",
                                      validators=[DataRequired("Give a percentage from 1 to 100."), PERCENT])
    show_overlap_first = BooleanField("Hand out tasks that need more annotations first")
    limit_count = IntegerField("Most tasks one annotator may label",
                               validators=[Optional(), NumberRange(1, None, "A limit is at least 1.")])
    limit_percent = IntegerField("Most tasks one annotator may label (% of the project)", validators=[Optional(), PERCENT])
    agreement_metric = SelectField("Agreement metric", choices=METRICS, validate_choice=False)
    agreement_threshold = IntegerField("Low-agreement threshold (%)",
                                       validators=[Optional(), NumberRange(0, 100, "A threshold is 0 to 100.")])
    review_requeue = SelectField("When a reviewer rejects an annotation", choices=REJECTED, validate_choice=False)
    review_instructions = TextAreaField("Instructions for reviewers (Markdown)", validators=[Length(max=100_000)])


class MemberAddForm(FlaskForm):
    user = SelectField("Person", coerce=_id, validate_choice=False, validators=[DataRequired("Choose someone to add.")])
    role = SelectField("Project role", choices=_options(("", "Keep their organization role"), ("annotator", "Annotator"),
                                                        ("reviewer", "Reviewer")), validate_choice=False)


class MemberRoleForm(FlaskForm):
    role = SelectField("Project role", choices=_options(("", "Organization role"), ("annotator", "Annotator"),
                                                ("reviewer", "Reviewer")), validate_choice=False)


class DeleteForm(FlaskForm):
    confirm = StringField("Type the project's title to confirm", validators=[DataRequired("Type the project's title.")])
