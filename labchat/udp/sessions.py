"""Fresh session identifiers and shared secrets for the envelope (``protocols.envelope``).

The engines hold no randomness and read no files: the drivers draw each
side's session identifier here, from the operating system's generator, and
read a shared secret from a file.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from labchat import voice
from labchat.protocols.envelope import SESSION_BITS

#: A shorter secret is guessable; 16 bytes is HMAC-SHA256's truncated tag length.
MIN_SECRET_BYTES = 16


def new_session() -> int:
    """A random session identifier: a restarted side draws a different one."""
    return secrets.randbits(SESSION_BITS)


def read_secret(path: str | Path) -> bytes:
    """The secret in ``path``: its bytes, without a final line break.

    Raises ``ValueError`` in one line if the file cannot be read or holds
    fewer than ``MIN_SECRET_BYTES`` bytes. Make one with, for example,
    ``python -c "import secrets; print(secrets.token_hex(16))" > chat.key``.
    """
    try:
        secret = Path(path).read_bytes()
    except OSError as error:
        raise ValueError(voice.error("secret_unreadable", path=path,
                                     error=error.strerror or error)) from None
    return check_secret(secret.removesuffix(b"\n").removesuffix(b"\r"), path)


def check_secret(secret: bytes | str, path: str | Path | None = None) -> bytes:
    """``secret`` as bytes (text is encoded as UTF-8), or a one-line ``ValueError``
    if it has fewer than ``MIN_SECRET_BYTES`` bytes (``path``: the file it came from)."""
    raw = secret.encode("utf-8") if isinstance(secret, str) else bytes(secret)
    if len(raw) < MIN_SECRET_BYTES:
        if path is None:
            raise ValueError(voice.error("secret_too_short", size=len(raw),
                                         minimum=MIN_SECRET_BYTES))
        raise ValueError(voice.error("secret_short", path=path, size=len(raw),
                                     minimum=MIN_SECRET_BYTES))
    return raw
