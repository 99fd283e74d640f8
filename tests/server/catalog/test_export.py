"""The live rules export back to a configuration equal to the one loaded."""

from sqlmodel import Session

from server.catalog.loader import validate_config
from server.catalog.service import export_config
from tests.support import BRANCH, demo_config


def test_export_round_trips_the_demo_city_hall(session: Session) -> None:
    exported = export_config(session, BRANCH)
    original = demo_config()
    assert exported.model_dump(exclude={"questions"}) == original.model_dump(exclude={"questions"})
    # Every question comes back, also one no route asks yet (an admin adds it before using it).
    assert sorted(q.id for q in exported.questions) == sorted(q.id for q in original.questions)
    assert validate_config(exported.model_dump(mode="json")) == exported
