"""Every kiosk language for what citizens read: the menu, every life event's every question, the
ticket's route and branch name; a missing string is shown in English (Japanese) and marked so;
やさしい日本語 carries ruby on every kanji; the loader names file:line; the check lists gaps."""

import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from printer.render import _local_route, render_ticket
from printer.slip_text import paper_label, slip_text
from server.catalog.loader import ConfigError, load_config_file
from server.catalog.service import apply_config
from server.catalog.translations import (
    CITIZEN_LANGUAGES,
    FIXED_TEXTS,
    bare_kanji,
    citizen_strings,
    missing_translations,
    reading_of,
    without_ruby,
)
from server.cli import main as cli_main
from server.models import Branch
from tests.server.api import API, issue
from tests.support import BRANCH, DEFAULT_CONFIG_PATH, demo_config

MENU = f"{API}/branches/{BRANCH}/menu"


def _menu_texts(menu: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(where, text, language it is in) for every content string of a menu."""
    texts = [("branch", menu["branch_name"], menu["branch_name_lang"])]
    texts += [(f"service {s['id']}", s["name"], s["name_lang"]) for s in menu["services"]]
    for event in menu["life_events"]:
        texts.append((f"life event {event['id']}", event["name"], event["name_lang"]))
        if event["note"]:
            texts.append((f"note {event['id']}", event["note"], event["note_lang"]))
        texts += [(f"{event['id']} question {q['id']}", q["text"], q["text_lang"]) for q in event["questions"]]
    return texts


def test_every_life_event_in_every_language_is_translated_on_menu_and_ticket(
    client: TestClient, kiosk: dict[str, str]
) -> None:
    for language in CITIZEN_LANGUAGES:
        menu = client.get(f"{MENU}?lang={language}").json()
        assert menu["language"] == language
        fallbacks = [(where, lang) for where, _, lang in _menu_texts(menu) if lang != language]
        assert fallbacks == [], f"{language}: {fallbacks}"
        texts = {text for _, text, _ in _menu_texts(menu)}
        if language not in ("ja", "en"):
            # Not the Japanese or English words under another name.
            english = {text for _, text, _ in _menu_texts(client.get(f"{MENU}?lang=en").json())}
            assert len(texts & english) <= 2, f"{language}: {texts & english}"
        for event in menu["life_events"]:
            # Every question yes: the longest route this life event can give.
            answers = {question["id"]: True for question in event["questions"]}
            ticket = issue(client, kiosk, life_event=event["id"], answers=answers, language=language)
            assert ticket["branch_name_lang"] == language
            for visit in ticket["visits"]:
                assert visit["labels_local"], visit
                assert set(visit["labels_local_lang"]) == {language}, (language, event["id"], visit)
            held = client.get(f"{API}/tickets/{ticket['status_token']}").json()
            assert held["visits"] == ticket["visits"]
            words = slip_text(language)
            if words is not None:  # the slip: every step in the ticket's language
                for (_, what, japanese), visit in zip(
                    _local_route(ticket, words, local=True, keep_japanese=language.startswith("zh")),
                    ticket["visits"],
                    strict=True,
                ):
                    if visit["kind"] == "counter":
                        assert what == words.separator.join(
                            paper_label(label, keep_japanese=language.startswith("zh"))
                            for label in visit["labels_local"]
                        )
                        assert japanese == "・".join(visit["labels"])
        # One slip per language drawn in full (the death route, every question yes).
        slip = render_ticket(ticket, branch_name="サンプル市役所 本庁舎")
        assert slip.width == 576


def test_easy_japanese_has_ruby_on_every_kanji(client: TestClient, kiosk: dict[str, str]) -> None:
    menu = client.get(f"{MENU}?lang=ja_easy").json()
    for where, text, _ in _menu_texts(menu):
        assert bare_kanji(text) == [], f"{where}: {text}"
    assert "{" in menu["life_events"][0]["name"]  # ruby markup, rendered by the kiosk
    ticket = issue(client, kiosk, life_event="birth", answers={}, language="ja_easy")
    for visit in ticket["visits"]:
        for label in visit["labels_local"]:
            assert bare_kanji(label) == [], label
    assert without_ruby("{出生|しゅっしょう}の{届|とど}け") == "出生(しゅっしょう)の届(とど)け"


def test_easy_japanese_is_written_a_word_at_a_time(client: TestClient) -> None:
    """The kiosk and the status page break やさしい日本語 lines between words only (分かち書き): a
    name run together (「こどもがうまれたとどけ」) broke where a line filled, inside a word."""
    menu = client.get(f"{MENU}?lang=ja_easy").json()
    texts = [text for _, text, _ in _menu_texts(menu)] + [FIXED_TEXTS["back_office"]["ja_easy"]]
    # A word and its particle; the longest, 「とくべつえいじゅうしゃしょうめいしょを」, has 19 kana.
    runs = [run for text in texts for run in re.split(r"[\s・、。()「」]+", reading_of(text))]
    longest = max(runs, key=len)
    assert len(longest) <= 19, longest


def test_a_missing_translation_is_shown_in_english_and_marked(client: TestClient, engine: Engine) -> None:
    config = demo_config().model_copy(deep=True)
    del config.translations["vi"].services["certificate"]
    del config.translations["vi"].questions["has_children"]
    del config.translations["ja_easy"].life_events["birth"].name  # type: ignore[union-attr]
    with Session(engine) as session:
        apply_config(session, config)
        session.commit()
    client.app.state.catalogs.forget()  # type: ignore[attr-defined]
    vi = client.get(f"{MENU}?lang=vi").json()
    certificate = next(s for s in vi["services"] if s["id"] == "certificate")
    assert (certificate["name"], certificate["name_lang"]) == (
        "Certificates (residence, family register, seal, tax)",
        "en",
    )
    asked = [q for event in vi["life_events"] for q in event["questions"] if q["id"] == "has_children"]
    assert asked
    assert all(q["text_lang"] == "en" for q in asked)
    easy = client.get(f"{MENU}?lang=ja_easy").json()
    birth = next(e for e in easy["life_events"] if e["id"] == "birth")
    assert (birth["name"], birth["name_lang"]) == ("出生", "ja")
    missing = missing_translations(config)
    assert [".".join(item.path) for item in missing["vi"]] == ["services.certificate", "questions.has_children"]
    with Session(engine) as session:
        assert "certificate" not in session.get(Branch, BRANCH).settings["translations"]["vi"]["services"]  # type: ignore[union-attr]


def test_translation_files_name_file_and_line_for_an_unknown_id(tmp_path: Path) -> None:
    config = tmp_path / "city.yaml"
    config.write_text(DEFAULT_CONFIG_PATH.read_text(encoding="utf-8"), encoding="utf-8")
    folder = tmp_path / "city.i18n"
    folder.mkdir()
    (folder / "vi.yaml").write_text(
        "branch: Tòa thị chính\nservices:\n  moving_in: Khai báo chuyển đến\n  moving_inn: Sai\n", encoding="utf-8"
    )
    (folder / "ja_easy.yaml").write_text("questions:\n\n  over_65: 65歳以上の人がいますか。\n", encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        load_config_file(config)
    message = str(refused.value)
    assert f"{folder / 'vi.yaml'}:4: translations.vi.services.moving_inn: unknown service 'moving_inn'" in message
    easy = f"{folder / 'ja_easy.yaml'}:3: translations.ja_easy.questions.over_65"
    assert f"{easy}: kanji without ruby: 歳以上人" in message
    (folder / "ja_easy.yaml").write_text("questions:\n  over_65: 65{歳|さい}{以上|いじょう}の{人|ひと}がいますか。\n")
    (folder / "vi.yaml").write_text("services:\n  moving_in: Khai báo chuyển đến\n", encoding="utf-8")
    loaded = load_config_file(config)
    assert loaded.translations["vi"].services == {"moving_in": "Khai báo chuyển đến"}


def test_translations_command_lists_what_is_missing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["translations", "--config", str(DEFAULT_CONFIG_PATH)]) == 0
    assert "ne: complete" in capsys.readouterr().out
    config = tmp_path / "city.yaml"
    config.write_text(DEFAULT_CONFIG_PATH.read_text(encoding="utf-8"), encoding="utf-8")
    folder = tmp_path / "city.i18n"
    folder.mkdir()
    (folder / "ko.yaml").write_text("services:\n  moving_in: 전입신고\n", encoding="utf-8")
    assert cli_main(["translations", "--config", str(config), "--language", "ko"]) == 1
    output = capsys.readouterr()
    wanted = len(citizen_strings(demo_config()))
    assert f"ko: {wanted - 1} missing" in output.out
    assert "  questions.over_65  (65歳以上の方がいますか)" in output.out
    assert "services.moving_in" not in output.out
    assert f"ko {wanted - 1}" in output.err
    assert f"zh {wanted}" in output.err


def test_the_admin_console_shows_and_edits_a_languages_words(
    client: TestClient, auth: dict[str, dict[str, str]]
) -> None:
    admin = auth["admin"]
    url = f"{API}/admin/branches/{BRANCH}/translations"
    shown = client.get(f"{url}/vi", headers=admin).json()
    assert shown["missing"] == 0
    items = {item["path"]: item for item in shown["items"]}
    assert items["life_events.birth.name"] == {
        "path": "life_events.birth.name",
        "ja": "出生",
        "en": "Birth",
        "text": "Sinh con",
    }
    assert items["questions.over_65"]["text"] == "Có ai từ 65 tuổi trở lên không?"
    assert items["services.moving_in"]["text"] == "Khai báo chuyển đến (転入届)"

    words = shown["current"]
    words["services"]["certificate"] = "Giấy chứng nhận các loại"
    del words["questions"]["over_65"]
    saved = client.put(f"{url}/vi", json=words, headers=admin)
    assert saved.status_code == 200, saved.text
    menu = client.get(f"{MENU}?lang=vi").json()
    certificate = next(s for s in menu["services"] if s["id"] == "certificate")
    assert (certificate["name"], certificate["name_lang"]) == ("Giấy chứng nhận các loại", "vi")
    over_65 = next(q for e in menu["life_events"] for q in e["questions"] if q["id"] == "over_65")
    assert over_65["text_lang"] == "en"
    assert client.get(f"{url}/vi", headers=admin).json()["missing"] == 1

    words["services"]["no_such_service"] = "?"
    refused = client.put(f"{url}/vi", json=words, headers=admin)
    assert refused.status_code == 422
    assert refused.json()["code"] == "invalid_configuration"
    assert "translations › vi › services › no_such_service: unknown service" in refused.json()["detail"]
    bare = client.put(f"{url}/ja_easy", json={"questions": {"over_65": "65歳以上ですか。"}}, headers=admin)
    assert bare.status_code == 422
    assert "kanji without ruby" in bare.json()["detail"]
    unknown = client.get(f"{url}/xx", headers=admin)
    assert (unknown.status_code, unknown.json()["code"]) == (404, "language_not_found")
    assert client.get(f"{url}/vi", headers=auth["shokuin"]).status_code == 403
