"""Secrets at rest: feed credentials and platform tokens are stored encrypted.

Fernet (the ``cryptography`` package) rather than anything hand-made: authenticated
encryption with a versioned token format. The key is ``NEWSBRIEF_SECRET_KEY`` or,
when that is unset (the embedded default), a key generated once into
``data_dir/secret.key`` with mode 0600: a dump of the database alone yields no secret.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import os
import tempfile
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from bot.config import Settings
from bot.errors import NewsbriefError

KEY_FILE = "secret.key"


class SecretKeyError(NewsbriefError):
    """The key is malformed, or a stored secret was written with another key."""


class SecretBox:
    """Encrypts and decrypts short strings (tokens, URL credentials) with one key."""

    def __init__(self, key: bytes) -> None:
        try:
            self._fernet = Fernet(key)
        except (ValueError, TypeError):
            raise SecretKeyError(
                "NEWSBRIEF_SECRET_KEY is not a valid key: make one with "
                "python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'"
            ) from None
        # A separate key for keyed digests, derived (HKDF) so that it is never the
        # encryption key itself.
        self._digest_key = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"newsbrief keyed digest"
        ).derive(base64.urlsafe_b64decode(key))

    @classmethod
    def from_settings(cls, settings: Settings) -> SecretBox:
        if settings.secret_key is not None:
            return cls(settings.secret_key.get_secret_value().encode())
        return cls(_key_file(settings.data_dir))

    def encrypt(self, plain: str) -> str:
        return self._fernet.encrypt(plain.encode()).decode("ascii")

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode()
        except (InvalidToken, ValueError):
            raise SecretKeyError(
                "a stored secret cannot be decrypted: NEWSBRIEF_SECRET_KEY (or "
                "secret.key in the data directory) changed since it was stored"
            ) from None

    def digest(self, plain: str) -> str:
        """A keyed digest (HMAC-SHA256, hex) of ``plain``: equal inputs give equal digests,
        so it can be a unique key, yet without the key a short token in ``plain`` cannot be
        found by trying every value, as it could from a bare hash."""
        return hmac.new(self._digest_key, plain.encode(), hashlib.sha256).hexdigest()


def _key_file(data_dir: Path) -> bytes:
    """Read the generated key, creating it on first use.

    The key is written to a private temporary file and linked into place, so a
    second instance starting at the same moment sees either no file or a whole one.
    """
    path = data_dir / KEY_FILE
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        pass
    data_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=data_dir, prefix=".secret-", suffix=".tmp")  # mode 0600
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(Fernet.generate_key())
        with contextlib.suppress(FileExistsError):  # another instance won the race
            os.link(tmp, path)  # atomic: the key file is never seen half-written
    finally:
        os.unlink(tmp)
    return path.read_bytes().strip()
