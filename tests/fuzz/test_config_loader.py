"""Hypothesis against the configuration loader: whatever an administrator uploads, the loader
either returns a valid configuration or refuses it with ConfigError, every problem placed on a
line of the file. Any other exception would be a 500 on PUT /admin/branches/{branch}/config.

Inputs are the demo city hall broken on purpose (keys deleted, values of the wrong type, ids
renamed, items duplicated, lines cut and shuffled) and YAML made up from scratch. Seeded and
derandomized: CI replays the same cases every run.
"""

import copy
import re
import time
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server.catalog.loader import MAX_DEPTH, MAX_ITEMS, ConfigError, parse_config_text, validate_config
from server.catalog.schemas import CityHallConfig
from server.config import DEFAULT_CONFIG_PATH

SOURCE = "city.yaml"
DEMO_TEXT = DEFAULT_CONFIG_PATH.read_text(encoding="utf-8")
DEMO_LINES = DEMO_TEXT.splitlines()
DEMO_DATA: dict[str, Any] = yaml.safe_load(DEMO_TEXT)

# Parsing the 900-line demo in pure-Python YAML takes a noticeable fraction of a second, so the
# examples are few but each one breaks the file in several places at once.
FUZZ = settings(
    max_examples=40,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

Path = tuple[str | int, ...]


def _paths(node: Any, prefix: Path = ()) -> list[Path]:
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*prefix, index))
    return found


DEMO_PATHS = _paths(DEMO_DATA)[1:]  # not the root itself
IDS = sorted(
    {str(item["id"]) for value in DEMO_DATA.values() if isinstance(value, list) for item in value if "id" in item}
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(IDS),
    st.sampled_from(["08:30", "25:99", "17:00", "", "front", "middle", "back", "staff", "contractor"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12) | st.sampled_from(IDS), inner),
    max_leaves=12,
)


def _resolve(data: Any, path: Path) -> tuple[Any, str | int] | None:
    """The container holding `path` and the key within it, or None once earlier edits moved it."""
    node = data
    for part in path[:-1]:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return None
    if isinstance(node, dict) and path[-1] in node:
        return node, path[-1]
    if isinstance(node, list) and isinstance(path[-1], int) and path[-1] < len(node):
        return node, path[-1]
    return None


@st.composite
def structural_edit(draw: st.DrawFn) -> tuple[str, Path, Any]:
    kind = draw(st.sampled_from(["delete", "replace", "rename_id", "duplicate", "extra_key"]))
    path = draw(st.sampled_from(DEMO_PATHS))
    payload: Any = None
    if kind == "replace":
        payload = draw(values)
    elif kind == "rename_id":
        payload = draw(st.sampled_from(IDS) | st.text(max_size=10))
    elif kind == "extra_key":
        payload = (draw(st.sampled_from(IDS) | st.text(max_size=10)), draw(values))
    return kind, path, payload


def _apply(data: dict[str, Any], edit: tuple[str, Path, Any]) -> None:
    kind, path, payload = edit
    found = _resolve(data, path)
    if found is None:
        return
    container, key = found
    if kind == "delete":
        del container[key]
    elif kind == "replace":
        container[key] = payload
    elif kind == "rename_id":
        target = container[key]
        if isinstance(target, dict) and "id" in target:
            target["id"] = payload
        else:
            container[key] = payload
    elif kind == "duplicate":
        if isinstance(container, list) and isinstance(key, int):  # a second item with the same id, prefix …
            container.insert(key, copy.deepcopy(container[key]))
    elif kind == "extra_key":
        name, value = payload
        target = container[key]
        if isinstance(target, dict):
            target[name] = value


@st.composite
def text_edit(draw: st.DrawFn) -> str:
    lines = list(DEMO_LINES)
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        if not lines:
            break
        index = draw(st.integers(min_value=0, max_value=len(lines) - 1))
        kind = draw(st.sampled_from(["drop", "repeat", "swap", "indent", "dedent", "insert", "truncate"]))
        if kind == "drop":
            del lines[index]
        elif kind == "repeat":
            lines.insert(index, lines[index])
        elif kind == "swap":
            other = draw(st.integers(min_value=0, max_value=len(lines) - 1))
            lines[index], lines[other] = lines[other], lines[index]
        elif kind == "indent":
            lines[index] = "  " + lines[index]
        elif kind == "dedent":
            lines[index] = lines[index].lstrip()
        elif kind == "insert":
            line = lines[index]
            at = draw(st.integers(min_value=0, max_value=len(line)))
            lines[index] = line[:at] + draw(st.text(max_size=6)) + line[at:]
        else:
            lines = lines[:index]
    return "\n".join(lines) + "\n"


def _check(text: str) -> ConfigError | None:
    """Load `text`; a refusal is returned once its problems are shown to name their lines."""
    try:
        config = parse_config_text(text, source=SOURCE)
    except ConfigError as error:
        refusal = error
    else:
        # Accepted: it must survive its own export (the admin console downloads and re-uploads it).
        assert isinstance(config, CityHallConfig)
        assert validate_config(config.model_dump(mode="json")) == config
        return None
    assert refusal.problems, "a refusal must say why"
    for problem in refusal.problems:
        assert refusal.line_of(problem.path) is not None, f"no line for {problem}"
    assert re.search(rf"^{re.escape(SOURCE)}:\d+: ", str(refusal), re.MULTILINE), str(refusal)
    return refusal


def _refused(text: str, reason: str) -> str:
    error = _check(text)
    assert error is not None, f"accepted: {text[:80]!r}"
    assert reason in str(error)
    return str(error)


def test_the_demo_city_hall_loads() -> None:
    assert _check(DEMO_TEXT) is None


@FUZZ
@given(edits=st.lists(structural_edit(), min_size=1, max_size=5))
def test_structural_edits_of_the_demo(edits: list[tuple[str, Path, Any]]) -> None:
    data = copy.deepcopy(DEMO_DATA)
    for edit in edits:
        _apply(data, edit)
    _check(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))


@FUZZ
@given(text=text_edit())
def test_line_edits_of_the_demo(text: str) -> None:
    _check(text)


@settings(FUZZ, max_examples=300)
@given(data=values)
def test_made_up_yaml(data: Any) -> None:
    _check(yaml.safe_dump(data, allow_unicode=True))


@settings(FUZZ, max_examples=300)
@given(text=st.text(alphabet=st.characters(codec="utf-8"), max_size=80) | st.sampled_from(["", "---", "[", "&a [*a]"]))
def test_made_up_text(text: str) -> None:
    _check(text)


def test_anchors_that_contain_themselves_are_refused() -> None:
    for text in ("a: &x [*x]\n", "&x {a: *x}\n", "queues: &q [{prefix: A, more: *q}]\n"):
        _refused(text, "refers to a list or mapping that contains it")


def test_alias_bombs_are_refused_quickly() -> None:
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    for level in range(1, 10):  # nine levels of nine: 387 million items once expanded
        name, previous = f"l{level}", "a" if level == 1 else f"l{level - 1}"
        lines.append(f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]")
    started = time.monotonic()
    _refused("\n".join(lines), f"expands to over {MAX_ITEMS} items")
    assert time.monotonic() - started < 5


def test_deep_nesting_is_refused_not_a_recursion_error() -> None:
    for depth in (MAX_DEPTH + 1, 5000):
        _refused("a: " + "[" * depth + "]" * depth, "nested more than")
        _refused("a: " + "{b: " * depth + "1" + "}" * depth, "nested more than")
    # Shallow text, deep once expanded: each alias wraps the previous one.
    chain = "a0: &a0 [1]\n" + "".join(f"a{i}: &a{i} [*a{i - 1}]\n" for i in range(1, 3 * MAX_DEPTH))
    _refused(chain, "nested more than")


def test_control_characters_are_refused_on_their_line() -> None:
    error = _refused("branch: x\nqueues: \x00\n", "control character U+0000")
    assert f"{SOURCE}:2: " in error


def test_an_empty_file_is_refused_at_line_one() -> None:
    assert f"{SOURCE}:1: " in _refused("# nothing but a comment\n", "must be a mapping")
