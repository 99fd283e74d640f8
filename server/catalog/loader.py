"""Reads and checks a city-hall configuration; every problem names its place in the file."""

from collections import Counter as Tally
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from server.catalog.schemas import CityHallConfig, StopSpec, minutes_of_day
from server.catalog.translations import translation_problems

PathKey = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    path: PathKey
    message: str

    def where(self) -> str:
        return ".".join(str(part) for part in self.path) or "(top)"


class ConfigError(Exception):
    """A configuration that must not be loaded; `problems` lists each reason."""

    def __init__(
        self,
        problems: list[Problem],
        *,
        source: str = "",
        lines: dict[PathKey, int] | None = None,
        translation_files: dict[str, tuple[str, dict[PathKey, int]]] | None = None,
    ) -> None:
        self.problems = problems
        self.source = source
        self.lines = lines or {}
        # Language → (its file, its lines): a problem under translations.<lang> names that file.
        self.translation_files = translation_files or {}
        super().__init__(self.render())

    def line_of(self, path: PathKey, lines: dict[PathKey, int] | None = None) -> int | None:
        lines = self.lines if lines is None else lines
        for length in range(len(path), -1, -1):
            line = lines.get(path[:length])
            if line is not None:
                return line
        return None

    def place_of(self, path: PathKey) -> tuple[str, int | None]:
        if len(path) >= 2 and path[0] == "translations" and str(path[1]) in self.translation_files:
            source, lines = self.translation_files[str(path[1])]
            return source, self.line_of(path[2:], lines)
        return self.source, self.line_of(path)

    def render(self) -> str:
        rendered = []
        for problem in self.problems:
            source, line = self.place_of(problem.path)
            place = f"{source}:{line}" if line is not None and source else (f"line {line}" if line is not None else "")
            prefix = f"{place}: " if place else ""
            rendered.append(f"{prefix}{problem.where()}: {problem.message}")
        return "\n".join(rendered)


def load_config_file(path: Path) -> CityHallConfig:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError([Problem((), f"cannot read the file: {error.strerror}")], source=str(path)) from None
    return parse_config_text(text, source=str(path), translations_dir=translations_dir(path))


def translations_dir(path: Path) -> Path:
    """config/demo_city_hall.yaml → config/demo_city_hall.i18n/ (one <lang>.yaml per language)."""
    return path.with_name(path.stem + ".i18n")


def parse_config_text(text: str, *, source: str = "<config>", translations_dir: Path | None = None) -> CityHallConfig:
    data, lines = _parse_yaml(text, source=source)
    files: dict[str, tuple[str, dict[PathKey, int]]] = {}
    if translations_dir is not None and translations_dir.is_dir():
        problems: list[Problem] = []
        merged: dict[str, Any] = {}
        for file in sorted(translations_dir.glob("*.yaml")):
            language = file.stem
            try:
                content, file_lines = _parse_yaml(file.read_text(encoding="utf-8"), source=str(file))
            except OSError as error:
                raise ConfigError([Problem((), f"cannot read the file: {error.strerror}")], source=str(file)) from None
            files[language] = (str(file), file_lines)
            if isinstance(data, dict) and language in (data.get("translations") or {}):
                message = f"{language} is also under translations in {source}"
                problems.append(Problem(("translations", language), message))
            merged[language] = content if content is not None else {}
        if problems:
            raise ConfigError(problems, source=source, lines=lines, translation_files=files)
        if merged and isinstance(data, dict):
            data["translations"] = {**(data.get("translations") or {}), **merged}
    try:
        return validate_config(data)
    except ConfigError as error:
        raise ConfigError(error.problems, source=source, lines=lines, translation_files=files) from None


def _parse_yaml(text: str, *, source: str) -> tuple[Any, dict[PathKey, int]]:
    try:
        _check_shape(text, source=source)
        loader = yaml.SafeLoader(text)
        try:  # what yaml.safe_load does, keeping the node tree for line numbers
            root = loader.get_single_node()
            data = loader.construct_document(root) if root is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        line = mark.line + 1 if mark is not None else None
        message = f"not valid YAML: {error.problem}"
        raise ConfigError([Problem((), message)], source=source, lines={(): line} if line else {}) from None
    except yaml.reader.ReaderError as error:  # a control character: no mark, only a position
        line = text.count("\n", 0, error.position) + 1
        message = f"not valid YAML: control character U+{error.character:04X} is not allowed"
        raise ConfigError([Problem((), message)], source=source, lines={(): line}) from None
    lines: dict[PathKey, int] = {(): 1}  # an empty file is refused at its first line
    if root is not None:
        _index_lines(root, (), lines)
    return data, lines


# Far beyond any real city hall, far below what hangs the server: YAML aliases can make a few
# lines stand for billions of items, or for themselves, and composing a deep file recurses.
MAX_DEPTH = 40
MAX_ITEMS = 200_000


@dataclass
class _Open:
    anchor: str | None
    items: int = 1
    depth: int = 1


def _check_shape(text: str, *, source: str) -> None:
    """Refuse a file too deep, too large once its aliases are expanded, or containing itself.

    Walks the parser's events (no recursion, linear time) before anything is built from them.
    """
    opened: list[_Open] = []
    anchors: dict[str, tuple[int, int]] = {}

    def refuse(message: str, event: yaml.Event) -> None:
        line = event.start_mark.line + 1 if event.start_mark is not None else 1
        raise ConfigError([Problem((), message)], source=source, lines={(): line})

    def close(anchor: str | None, items: int, depth: int, event: yaml.Event) -> None:
        if anchor is not None:
            anchors[anchor] = (items, depth)
        if not opened:
            return
        parent = opened[-1]
        parent.items += items
        parent.depth = max(parent.depth, depth + 1)
        if parent.items > MAX_ITEMS:
            refuse(f"the file expands to over {MAX_ITEMS} items (check its aliases)", event)
        if parent.depth > MAX_DEPTH:
            refuse(f"the file is nested more than {MAX_DEPTH} levels deep", event)

    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.CollectionStartEvent):
            opened.append(_Open(event.anchor))
            if len(opened) > MAX_DEPTH:
                refuse(f"the file is nested more than {MAX_DEPTH} levels deep", event)
        elif isinstance(event, yaml.CollectionEndEvent):
            done = opened.pop()
            close(done.anchor, done.items, done.depth, event)
        elif isinstance(event, yaml.ScalarEvent):
            close(event.anchor, 1, 0, event)
        elif isinstance(event, yaml.AliasEvent):
            if any(item.anchor == event.anchor for item in opened):
                refuse(f"the alias *{event.anchor} refers to a list or mapping that contains it", event)
            items, depth = anchors.get(event.anchor or "", (1, 0))  # an unknown alias fails in compose
            close(None, items, depth, event)


def validate_config(data: Any) -> CityHallConfig:
    """Structure first (pydantic), then the rules that tie the parts together."""
    if not isinstance(data, dict):
        raise ConfigError([Problem((), "the file must be a mapping with branch, queues, services …")])
    try:
        config = CityHallConfig.model_validate(data)
    except ValidationError as error:
        problems = [Problem(tuple(item["loc"]), _plain_message(item)) for item in error.errors()]
        raise ConfigError(problems) from None
    problems = list(check_rules(config))
    if problems:
        raise ConfigError(problems)
    return config


def _plain_message(item: Any) -> str:
    if item["type"] == "extra_forbidden":
        return "unknown key (check its spelling)"
    if item["type"] == "missing":
        return "required key is missing"
    return str(item["msg"])


def _duplicates(values: Iterable[str]) -> set[str]:
    return {value for value, count in Tally(values).items() if count > 1}


def check_rules(config: CityHallConfig) -> Iterable[Problem]:
    for section, key in (
        ("queues", "prefix"),
        ("services", "id"),
        ("counters", "id"),
        ("questions", "id"),
        ("life_events", "id"),
        ("priority_categories", "id"),
        ("reason_codes", "id"),
    ):
        items = getattr(config, section)
        seen: set[str] = set()
        for index, item in enumerate(items):
            value = getattr(item, key)
            if value in seen:
                yield Problem((section, index, key), f"duplicate {key} {value!r}")
            seen.add(value)

    hours = config.hours
    if not minutes_of_day(hours.open) < minutes_of_day(hours.close):
        yield Problem(("hours", "close"), f"closing time {hours.close} is not after opening {hours.open}")
    if not minutes_of_day(hours.open) < minutes_of_day(hours.last_ticket) <= minutes_of_day(hours.close):
        yield Problem(
            ("hours", "last_ticket"),
            f"last ticket {hours.last_ticket} must be after opening {hours.open} and by closing {hours.close}",
        )

    prefixes = {queue.prefix for queue in config.queues}
    if config.life_event_queue is not None and config.life_event_queue not in prefixes:
        yield Problem(("life_event_queue",), f"unknown queue prefix {config.life_event_queue!r}")
    services = {service.id: service for service in config.services}
    for index, service in enumerate(config.services):
        if service.queue not in prefixes:
            yield Problem(("services", index, "queue"), f"unknown queue prefix {service.queue!r}")
        cutoff = service.issue_cutoff
        if cutoff is not None and not (
            minutes_of_day(hours.open) < minutes_of_day(cutoff) <= minutes_of_day(hours.close)
        ):
            yield Problem(
                ("services", index, "issue_cutoff"),
                f"issue cut-off {cutoff} must be after opening {hours.open} and by closing {hours.close}",
            )

    served_by_staff: set[str] = set()
    served: set[str] = set()
    for index, counter in enumerate(config.counters):
        for position, service_id in enumerate(counter.services):
            if service_id not in services:
                yield Problem(("counters", index, "services", position), f"unknown service {service_id!r}")
        for service_id in _duplicates(counter.services):
            yield Problem(("counters", index, "services"), f"service {service_id!r} listed twice")
        served.update(counter.services)
        if counter.staffed_by != "contractor":
            served_by_staff.update(counter.services)
    for index, service in enumerate(config.services):
        if service.id not in served:
            yield Problem(("services", index), f"service {service.id!r} is served by no counter")
        elif service.staff_only and service.id not in served_by_staff:
            yield Problem(
                ("services", index),
                f"staff-only service {service.id!r} is served only by contractor counters",
            )

    questions = {question.id for question in config.questions}
    shown_when = {question.id: question.show_when for question in config.questions}
    for index, question in enumerate(config.questions):
        for position, condition in enumerate(question.show_when):
            if condition not in questions or condition == question.id:
                yield Problem(
                    ("questions", index, "show_when", position),
                    f"show_when names {condition!r}, which is not another question under questions",
                )
    for index, event in enumerate(config.life_events):
        for position, question_id in enumerate(event.questions):
            if question_id not in questions:
                yield Problem(
                    ("life_events", index, "questions", position),
                    f"question {question_id!r} is not defined under questions",
                )
            for condition in shown_when.get(question_id, []):
                if condition in event.questions[position + 1 :]:
                    yield Problem(
                        ("life_events", index, "questions", position),
                        f"question {question_id!r} depends on {condition!r}, which is asked after it",
                    )
        for question_id in _duplicates(event.questions):
            yield Problem(("life_events", index, "questions"), f"question {question_id!r} is asked twice")
        used: set[str] = set()
        for position, stop in enumerate(event.stops):
            if stop.service not in services:
                yield Problem(
                    ("life_events", index, "stops", position, "service"),
                    f"unknown service {stop.service!r} in the route",
                )
            for condition in ("when", "when_any", "unless"):
                for question_id in getattr(stop, condition):
                    if question_id not in questions:
                        yield Problem(
                            ("life_events", index, "stops", position, condition),
                            f"question {question_id!r} is not defined under questions",
                        )
            used.update(stop.when, stop.when_any, stop.unless)
        yield from _scattered_groups(index, event.stops)
        for service_id in _duplicates(stop.service for stop in event.stops):
            yield Problem(("life_events", index, "stops"), f"service {service_id!r} appears twice in the route")
        asked = set(event.questions)
        for question_id in sorted(used - asked):
            yield Problem(
                ("life_events", index, "questions"), f"question {question_id!r} is used in a condition but not asked"
            )
        for question_id in sorted(asked - used):
            yield Problem(
                ("life_events", index, "questions"), f"question {question_id!r} is asked but no stop depends on it"
            )

    yield from _appointment_problems(config)

    for problem in translation_problems(config):
        yield Problem(problem.path, problem.message)


def _appointment_problems(config: CityHallConfig) -> Iterator[Problem]:
    """Bookable services exist, take the citizen in, and have slots within the opening hours."""
    services = {service.id: service for service in config.services}
    opens, closes = minutes_of_day(config.hours.open), minutes_of_day(config.hours.close)
    seen: set[str] = set()
    for index, bookable in enumerate(config.appointments.services):
        place: PathKey = ("appointments", "services", index)
        if bookable.service in seen:
            yield Problem((*place, "service"), f"service {bookable.service!r} is bookable twice")
        seen.add(bookable.service)
        service = services.get(bookable.service)
        if service is None:
            yield Problem((*place, "service"), f"unknown service {bookable.service!r}")
        elif not service.citizen_present:
            yield Problem((*place, "service"), f"service {bookable.service!r} is back-office work; nobody can book it")
        slots = 0
        for weekday, ranges in bookable.hours.items():
            for position, clock_range in enumerate(ranges):
                start, end = (minutes_of_day(part) for part in clock_range.split("-"))
                if not start < end:
                    yield Problem(
                        (*place, "hours", weekday, position), f"{clock_range}: the end is not after the start"
                    )
                elif not (opens <= start and end <= closes):
                    yield Problem(
                        (*place, "hours", weekday, position),
                        f"{clock_range} lies outside the opening hours {config.hours.open}–{config.hours.close}",
                    )
                slots += max(end - start, 0) // bookable.slot_minutes
        if slots == 0:
            yield Problem((*place, "hours"), f"no slot of {bookable.slot_minutes} minutes fits in these hours")
    for day in _duplicates(str(day) for day in config.calendar.closed_days):
        yield Problem(("calendar", "closed_days"), f"closed day {day} is listed twice")


def _scattered_groups(index: int, stops: list[StopSpec]) -> Iterator[Problem]:
    """A group of stops taken in any order must be one run: "any order" across other stops is unclear."""
    closed: set[str] = set()
    previous: str | None = None
    for position, stop in enumerate(stops):
        if stop.group != previous and previous is not None:
            closed.add(previous)
        if stop.group is not None and stop.group in closed:
            yield Problem(
                ("life_events", index, "stops", position, "group"),
                f"group {stop.group!r} is split by other stops; put its stops next to each other",
            )
        previous = stop.group


def _index_lines(node: yaml.Node, path: PathKey, lines: dict[PathKey, int]) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            child = (*path, str(key_node.value))
            _index_lines(value_node, child, lines)
            lines[child] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _index_lines(item, (*path, index), lines)
