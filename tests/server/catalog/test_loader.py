"""The configuration loader accepts the demo city hall and refuses broken files, naming the line."""

from pathlib import Path

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from server.catalog.loader import ConfigError, parse_config_text
from server.catalog.service import apply_config
from server.config import DEFAULT_CONFIG_PATH
from server.models import Counter, LifeEvent, LifeEventStep, Service
from tests.support import demo_config

LIFE_EVENTS = ["move_in", "move_within", "move_out", "household_change", "birth", "marriage", "divorce", "death"]
DEMO_TEXT = DEFAULT_CONFIG_PATH.read_text(encoding="utf-8")


def test_demo_city_hall_has_the_eight_life_events_in_japanese_and_english() -> None:
    config = demo_config()
    assert [event.id for event in config.life_events] == LIFE_EVENTS
    for event in config.life_events:
        assert event.name_ja
        assert event.name_en
        assert set(event.questions) == {q for stop in event.stops for q in (*stop.when, *stop.when_any)}
    staff_only = {service.id for service in config.services if service.staff_only}
    assert "civil_review" in staff_only


def _error_for(text: str) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        parse_config_text(text, source="city.yaml")
    return caught.value


def _line_of(text: str, needle: str, occurrence: int = 1) -> int:
    index = -1
    for _ in range(occurrence):
        index = text.index(needle, index + 1)
    return text.count("\n", 0, index) + 1


def test_unknown_service_in_a_route_names_its_line() -> None:
    broken = DEMO_TEXT.replace(
        "- { service: child_allowance, when: [has_children], group: related }",
        "- { service: child_allowence, when: [has_children], group: related }",
        1,
    )
    error = _error_for(broken)
    line = _line_of(broken, "child_allowence")
    assert f"city.yaml:{line}:" in str(error)
    assert "unknown service 'child_allowence' in the route" in str(error)


def test_a_group_split_by_other_stops_is_refused() -> None:
    broken = DEMO_TEXT.replace(
        "- { service: late_elderly, when: [over_75], group: related }",
        "- { service: late_elderly, when: [over_75] }",
        1,
    )
    error = _error_for(broken)
    assert "group 'related' is split by other stops" in str(error)


def test_an_unknown_question_in_an_any_of_condition_is_refused() -> None:
    broken = DEMO_TEXT.replace("when_any: [files_death_registration, was_household_head]", "when_any: [is_dead]", 1)
    error = _error_for(broken)
    assert "question 'is_dead' is not defined under questions" in str(error)


def test_a_question_shown_after_an_unknown_or_later_question_is_refused() -> None:
    unknown = DEMO_TEXT.replace("show_when: [over_65]", "show_when: [over_90]", 1)
    assert "show_when names 'over_90', which is not another question under questions" in str(_error_for(unknown))
    # Moving out asks 65 before 75; asked the other way round, the condition could never be met.
    later = DEMO_TEXT.replace(
        "questions: [to_abroad, national_health_insurance, over_65, over_75,",
        "questions: [to_abroad, national_health_insurance, over_75, over_65,",
        1,
    )
    assert "question 'over_75' depends on 'over_65', which is asked after it" in str(_error_for(later))


def test_duplicate_prefix_is_refused() -> None:
    broken = DEMO_TEXT.replace("- { prefix: D,", "- { prefix: C,", 1)
    error = _error_for(broken)
    assert "duplicate prefix 'C'" in str(error)
    assert f"city.yaml:{_line_of(broken, '- { prefix: C,', 2)}:" in str(error)


def test_question_used_but_not_defined_is_refused() -> None:
    broken = DEMO_TEXT.replace("when: [owns_moped]", "when: [owns_tractor]", 1)
    error = str(_error_for(broken))
    assert "question 'owns_tractor' is not defined under questions" in error
    assert "question 'owns_tractor' is used in a condition but not asked" in error


def test_structural_errors_name_the_key_and_line() -> None:
    broken = DEMO_TEXT.replace("stage: middle", "stage: midle", 1)
    error = _error_for(broken)
    assert f"city.yaml:{_line_of(broken, 'stage: midle')}:" in str(error)
    assert "stage" in str(error)


def test_yaml_syntax_error_names_the_line() -> None:
    error = _error_for("branch: {id: x\nqueues: [")
    assert "not valid YAML" in str(error)
    assert "city.yaml:" in str(error)


def test_last_ticket_after_closing_is_refused() -> None:
    broken = DEMO_TEXT.replace('last_ticket: "17:00"', 'last_ticket: "18:00"', 1)
    assert "last ticket 18:00 must be after opening" in str(_error_for(broken))


def test_staff_only_service_served_only_by_contractors_is_refused() -> None:
    text = """
branch: {id: tiny, name_ja: 小さな町役場, name_en: Tiny Town Hall}
queues: [{prefix: A, name_ja: 届出, name_en: Notifications, label_ja: 届出, label_en: Notifications}]
services:
  - {id: review, queue: A, name_ja: 審査, name_en: Review, stage: middle, staff_only: true}
counters:
  - {id: "1", name_ja: 受付, name_en: Reception, staffed_by: contractor, services: [review]}
"""
    assert "staff-only service 'review' is served only by contractor counters" in str(_error_for(text))


def test_loading_twice_changes_nothing(engine: Engine) -> None:
    def counts() -> tuple[int, ...]:
        with Session(engine) as session:
            return tuple(
                session.exec(select(func.count()).select_from(model)).one()
                for model in (Service, Counter, LifeEvent, LifeEventStep)
            )

    before = counts()
    with Session(engine) as session:
        apply_config(session, demo_config())
        session.commit()
    assert counts() == before
    assert before[2] == 8


def test_a_removed_service_is_deactivated_not_deleted(engine: Engine, tmp_path: Path) -> None:
    config = demo_config().model_copy(deep=True)
    config.services = [s for s in config.services if s.id != "moped"]
    for counter in config.counters:
        counter.services = [s for s in counter.services if s != "moped"]
    for event in config.life_events:
        event.stops = [stop for stop in event.stops if stop.service != "moped"]
        event.questions = [q for q in event.questions if q != "owns_moped"]
    with Session(engine) as session:
        apply_config(session, config)
        session.commit()
        moped = session.exec(select(Service).where(Service.key == "moped")).one()
        assert moped.active is False
