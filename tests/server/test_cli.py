"""`madoguchi staff add`: an account made without --branch works at the default branch only
(every branch takes --all-branches), and the password comes from a prompt or standard input
rather than the command line."""

import os
import subprocess
import sys
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from server import cli
from server.auth import service as auth_service
from server.config import PROJECT_ROOT
from server.models import Staff
from tests.support import BRANCH, PASSWORD


def _staff_add(database_url: str, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """`madoguchi staff add ARGS` in its own process, as an operator runs it."""
    return subprocess.run(
        [sys.executable, "-m", "server.cli", "staff", "add", *args],
        cwd=PROJECT_ROOT,
        env={**os.environ, "MADOGUCHI_DATABASE_URL": database_url},
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        check=False,
    )


def _account(engine: Engine, username: str) -> Staff | None:
    with Session(engine, expire_on_commit=False) as session:
        return session.exec(select(Staff).where(Staff.username == username)).first()


def test_without_branch_the_account_works_at_the_default_branch_only(engine: Engine, database_url: str) -> None:
    done = _staff_add(database_url, "tanaka", "--role", "municipal", "--password-stdin", stdin=f"{PASSWORD}\n")
    assert done.returncode == 0, done.stderr
    assert f"branch '{BRANCH}' only" in done.stdout
    account = _account(engine, "tanaka")
    assert account is not None
    assert account.branch_id == cli.DEFAULT_BRANCH == BRANCH


def test_all_branches_is_asked_for_explicitly(engine: Engine, database_url: str) -> None:
    done = _staff_add(database_url, "sato", "--role", "admin", "--all-branches", "--password", PASSWORD)
    assert done.returncode == 0, done.stderr
    assert "all branches" in done.stdout
    account = _account(engine, "sato")
    assert account is not None
    assert account.branch_id is None


def test_branch_and_all_branches_exclude_each_other(engine: Engine, database_url: str) -> None:
    done = _staff_add(
        database_url, "sato", "--role", "admin", "--branch", BRANCH, "--all-branches", "--password", PASSWORD
    )
    assert done.returncode != 0
    assert "not allowed with argument" in done.stderr
    assert _account(engine, "sato") is None


def test_an_unknown_branch_is_named(engine: Engine, database_url: str) -> None:
    done = _staff_add(database_url, "sato", "--role", "municipal", "--branch", "kita", "--password", PASSWORD)
    assert done.returncode == 2
    assert "支所 'kita' がありません" in done.stderr
    assert "Unknown branch 'kita'" in done.stderr
    assert _account(engine, "sato") is None


def test_password_stdin_reads_the_first_line_only(engine: Engine, database_url: str) -> None:
    password = f" {PASSWORD} with spaces "  # only the newline is taken off
    done = _staff_add(
        database_url, "tanaka", "--role", "municipal", "--password-stdin", stdin=f"{password}\nnot this line\n"
    )
    assert done.returncode == 0, done.stderr
    account = _account(engine, "tanaka")
    assert account is not None
    assert auth_service.verify_password(password, account.password_hash)
    assert not auth_service.verify_password(password.strip(), account.password_hash)


@pytest.mark.parametrize("stdin", ["", "\n", "\r\n"])
def test_an_empty_password_on_stdin_is_refused(engine: Engine, database_url: str, stdin: str) -> None:
    done = _staff_add(database_url, "tanaka", "--role", "municipal", "--password-stdin", stdin=stdin)
    assert done.returncode == 2
    assert "パスワードが空です。 The password is empty." in done.stderr
    assert _account(engine, "tanaka") is None


def test_the_password_is_no_longer_required_on_the_command_line() -> None:
    args = cli.build_parser().parse_args(["staff", "add", "tanaka", "--role", "municipal"])
    assert (args.password, args.password_stdin, args.branch, args.all_branches) == (None, False, None, False)
    with pytest.raises(SystemExit):  # one source of the password at a time
        cli.build_parser().parse_args(["staff", "add", "t", "--role", "admin", "--password", "x", "--password-stdin"])


def _prompted(monkeypatch: pytest.MonkeyPatch, engine: Engine, *answers: str) -> list[str]:
    """Run `staff add` in this process with the prompt answered by `answers`; returns the prompts."""
    prompts: list[str] = []
    replies = iter(answers)

    def fake_getpass(prompt: str = "", stream: Any = None) -> str:
        prompts.append(prompt)
        return next(replies)

    monkeypatch.setattr(cli.getpass, "getpass", fake_getpass)
    monkeypatch.setattr(cli, "_engine", lambda: engine)
    return prompts


def test_without_a_password_option_it_is_asked_twice(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    prompts = _prompted(monkeypatch, engine, PASSWORD, PASSWORD)
    assert cli.main(["staff", "add", "tanaka", "--role", "municipal"]) == 0
    assert len(prompts) == 2
    account = _account(engine, "tanaka")
    assert account is not None
    assert account.branch_id == BRANCH
    assert auth_service.verify_password(PASSWORD, account.password_hash)
    assert "アカウント 'tanaka' を作成しました" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ((PASSWORD, PASSWORD + "x"), "入力した2つのパスワードが一致しません。 The two passwords do not match."),
        (("", ""), "パスワードが空です。 The password is empty."),
    ],
)
def test_a_prompted_password_must_match_and_not_be_empty(
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    answers: tuple[str, str],
    message: str,
) -> None:
    _prompted(monkeypatch, engine, *answers)
    assert cli.main(["staff", "add", "tanaka", "--role", "municipal"]) == 2
    assert message in capsys.readouterr().err
    assert _account(engine, "tanaka") is None
