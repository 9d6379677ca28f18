"""The stream hands each annotator the right next task."""
from datetime import timedelta

from sqlalchemy import select, update

from app.db import utcnow
from app.labeling import distribution, services
from app.labeling.models import TaskReservation
from app.projects.models import Assignment, Ordering, SkipQueue
from app.security.roles import Role
from app.tasks.models import Prediction, Task, TaskAssignment, required_annotations

from .conftest import answer


def ids_of(db, project):
    return db.session.scalars(select(Task.id).where(Task.project_id == project.id).order_by(Task.id)).all()


def take(db, project, user):
    got = distribution.next_task(project, user)
    db.session.commit()
    return got


def test_tasks_come_in_id_order_and_a_reserved_task_comes_back_until_answered(db, make_project, annotators):
    project = make_project(3)
    first, *_ = ids_of(db, project)
    alice, = annotators(1)
    assert take(db, project, alice).task.id == first
    assert take(db, project, alice).task.id == first
    answer(db, alice, project, db.session.get(Task, first))
    assert take(db, project, alice).task.id == ids_of(db, project)[1]


def test_a_reservation_keeps_a_task_from_others_until_it_expires(db, make_project, annotators):
    project = make_project(2, reservation_minutes=10)
    one, two = ids_of(db, project)
    alice, bob = annotators(2)
    assert take(db, project, alice).task.id == one
    assert take(db, project, bob).task.id == two
    db.session.execute(update(TaskReservation).where(TaskReservation.user_id == alice.id)
                       .values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    carol, = annotators(1)
    assert take(db, project, carol).task.id == one


def test_a_submit_ends_the_reservation(db, make_project, annotators):
    project = make_project(1)
    alice, = annotators(1)
    task = take(db, project, alice).task
    answer(db, alice, project, task)
    assert db.session.scalar(select(TaskReservation).where(TaskReservation.user_id == alice.id)) is None


def test_overlap_gives_each_task_to_as_many_people_and_never_twice_to_one(db, make_project, annotators):
    project = make_project(2, overlap=2)
    one, two = ids_of(db, project)
    alice, bob, carol = annotators(3)
    assert take(db, project, alice).task.id == one
    assert take(db, project, bob).task.id == one
    assert take(db, project, carol).task.id == two
    answer(db, alice, project, db.session.get(Task, one))
    assert take(db, project, alice).task.id == two
    answer(db, bob, project, db.session.get(Task, one))
    assert db.session.get(Task, one).is_labeled
    # task two is held by Carol and Alice: with an overlap of 2 there is nothing for Bob meanwhile
    assert take(db, project, bob).task is None
    answer(db, alice, project, db.session.get(Task, two))
    answer(db, carol, project, db.session.get(Task, two))
    done = take(db, project, bob)
    assert done.task is None and "no more tasks" in done.message
    assert [t.total_annotations for t in db.session.scalars(select(Task).where(Task.project_id == project.id))] == [2, 2]


def test_overlap_percentage_spreads_the_overlap_over_that_share_of_tasks(db, make_project):
    project = make_project(100, overlap=3, overlap_percentage=30)
    needed = [required_annotations(t.inner_id, 3, 30)
              for t in db.session.scalars(select(Task).where(Task.project_id == project.id))]
    assert needed.count(3) == 30 and needed.count(1) == 70


def test_requeue_to_others_never_gives_a_skipped_task_back(db, make_project, annotators, people):
    project = make_project(2, skip_queue=SkipQueue.REQUEUE_TO_OTHERS)
    one, two = ids_of(db, project)
    alice, bob = annotators(2)
    services.skip_task(alice, project, take(db, project, alice).task, Role.ANNOTATOR)
    db.session.commit()
    assert take(db, project, alice).task.id == two
    answer(db, alice, project, db.session.get(Task, two))
    assert take(db, project, alice).task is None
    assert take(db, project, bob).task.id == one


def test_requeue_to_me_gives_my_skips_back_once_nothing_else_is_left(db, make_project, annotators):
    project = make_project(2, skip_queue=SkipQueue.REQUEUE_TO_ME)
    one, two = ids_of(db, project)
    alice, = annotators(1)
    services.skip_task(alice, project, take(db, project, alice).task, Role.ANNOTATOR)
    db.session.commit()
    assert take(db, project, alice).task.id == two
    answer(db, alice, project, db.session.get(Task, two))
    assert take(db, project, alice).task.id == one
    answer(db, alice, project, db.session.get(Task, one))
    task = db.session.get(Task, one)
    assert (task.total_annotations, task.cancelled_annotations) == (1, 0)


def test_ignore_skipped_counts_a_skip_as_done(db, make_project, annotators):
    project = make_project(1, skip_queue=SkipQueue.IGNORE)
    alice, bob = annotators(2)
    services.skip_task(alice, project, take(db, project, alice).task, Role.ANNOTATOR)
    db.session.commit()
    assert take(db, project, bob).task is None


def test_uncertainty_ordering_offers_the_lowest_prediction_score_first(db, make_project, annotators):
    project = make_project(3, ordering=Ordering.UNCERTAINTY)
    one, two, three = ids_of(db, project)
    for task_id, score in ((one, 0.9), (two, 0.2), (three, 0.5)):
        db.session.add(Prediction(task_id=task_id, project_id=project.id, score=score, result=[]))
    db.session.commit()
    alice, bob, carol = annotators(3)
    assert [take(db, project, who).task.id for who in (alice, bob, carol)] == [two, three, one]


def test_random_ordering_still_gives_every_task_once(db, make_project, annotators):
    project = make_project(6, ordering=Ordering.RANDOM)
    alice, = annotators(1)
    seen = []
    while (task := take(db, project, alice).task) is not None:
        seen.append(task.id)
        answer(db, alice, project, task)
    assert sorted(seen) == ids_of(db, project)


def test_show_overlap_first_offers_tasks_that_need_several_annotations_first(db, make_project, annotators):
    project = make_project(10, overlap=2, overlap_percentage=30, show_overlap_first=True)
    alice, = annotators(1)
    first = take(db, project, alice).task
    assert required_annotations(first.inner_id, 2, 30) == 2
    assert first.id != ids_of(db, project)[0] or required_annotations(1, 2, 30) == 2


def test_the_smaller_of_the_two_limits_pauses_the_annotator(db, make_project, annotators):
    project = make_project(10, limit_count=5, limit_percent=20)
    alice, = annotators(1)
    for _ in range(2):
        answer(db, alice, project, take(db, project, alice).task)
    paused = take(db, project, alice)
    assert paused.task is None and "limit of 2 tasks" in paused.message


def test_manual_distribution_shows_only_assigned_tasks(db, make_project, annotators):
    project = make_project(3, assignment=Assignment.MANUAL)
    one, two, three = ids_of(db, project)
    alice, = annotators(1)
    db.session.add(TaskAssignment(task_id=three, project_id=project.id, user_id=alice.id, kind="annotate"))
    db.session.commit()
    assert take(db, project, alice).task.id == three
    answer(db, alice, project, db.session.get(Task, three))
    left = take(db, project, alice)
    assert left.task is None and "assigned to you" in left.message
