"""Secrets at rest: the generated key file, its mode, and what a wrong key says."""

from __future__ import annotations

import base64
import multiprocessing
import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr

from bot.config import Settings
from bot.crypto import KEY_FILE, SecretBox, SecretKeyError


def test_generated_key_is_private_and_reused(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    token = SecretBox.from_settings(settings).encrypt("https://u:pw@host/feed")
    # Neither the token nor the bytes it encodes hold the secret (a check for the two
    # letters "pw" in the token failed whenever the random ciphertext spelled them).
    assert "pw@host" not in token and b"pw@host" not in base64.urlsafe_b64decode(token)
    key_file = tmp_path / "data" / KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert SecretBox.from_settings(settings).decrypt(token) == "https://u:pw@host/feed"
    assert sorted(p.name for p in key_file.parent.iterdir()) == [KEY_FILE]  # no temp left


def test_configured_key_wins_and_a_wrong_one_is_named(tmp_path: Path) -> None:
    key = Fernet.generate_key().decode()
    settings = Settings(data_dir=tmp_path, secret_key=SecretStr(key))
    token = SecretBox.from_settings(settings).encrypt("xoxb-secret")
    assert not (tmp_path / KEY_FILE).exists()
    other = Settings(data_dir=tmp_path, secret_key=SecretStr(Fernet.generate_key().decode()))
    with pytest.raises(SecretKeyError, match="changed since it was stored"):
        SecretBox.from_settings(other).decrypt(token)
    with pytest.raises(SecretKeyError, match="not a valid key"):
        SecretBox.from_settings(Settings(data_dir=tmp_path, secret_key=SecretStr("short")))


def _encrypt_in(data_dir: str) -> str:
    return SecretBox.from_settings(Settings(data_dir=Path(data_dir))).encrypt(data_dir)


def test_instances_starting_together_share_one_key(tmp_path: Path) -> None:
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        tokens = pool.map(_encrypt_in, [str(tmp_path)] * 8)
    box = SecretBox.from_settings(Settings(data_dir=tmp_path))
    assert {box.decrypt(t) for t in tokens} == {str(tmp_path)}
