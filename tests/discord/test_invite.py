"""``newsbrief discord invite``: the link, the exact permissions integer, every reason."""

from __future__ import annotations

import base64
import io

import pytest

from adapters.discord.permissions import BOT_PERMISSIONS, permissions
from bot.cli import main

EXPECTED = 1024 + 2048 + 16384 + 65536 + (1 << 35) + (1 << 38)


def test_the_invite_names_both_scopes_and_the_exact_permissions() -> None:
    out = io.StringIO()
    assert main(["discord", "invite", "--client-id", "1234567890"], out=out) == 0
    text = out.getvalue()
    assert permissions().value == EXPECTED == 309237730304
    assert (
        "https://discord.com/oauth2/authorize?client_id=1234567890"
        "&scope=bot+applications.commands&permissions=309237730304" in text
    )
    for _, name, why in BOT_PERMISSIONS:
        assert f"{name}: {why}" in text
    assert "Message Content (privileged)" in text and "Guild Messages (not privileged)" in text
    assert "Mention Everyone" in text  # said to be not asked for


def test_the_client_id_comes_from_the_token(monkeypatch: pytest.MonkeyPatch) -> None:
    head = base64.b64encode(b"987654321012345678").decode().rstrip("=")
    monkeypatch.setenv("DISCORD_TOKEN", f"{head}.GhIjKl.secret-part")
    out = io.StringIO()
    assert main(["discord", "invite"], out=out) == 0
    assert "client_id=987654321012345678" in out.getvalue()
    assert "secret-part" not in out.getvalue()


def test_without_an_id_or_token_it_says_what_to_give(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    monkeypatch.delenv("NEWSBRIEF_DISCORD_TOKEN", raising=False)
    monkeypatch.chdir("/")  # no .env file here
    assert main(["discord", "invite"], out=io.StringIO()) == 2
    assert "--client-id" in capsys.readouterr().err
