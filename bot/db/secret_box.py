"""Encryption at rest for secrets waiting to be revealed (Fernet: AES-128-CBC + HMAC-SHA256)."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken

from bot.domain.credentials import Secret

MIN_KEY_LENGTH = 32


class SecretBoxError(ValueError):
    """A ciphertext that this key cannot open (a changed key, or tampering)."""


class FernetBox:
    """Seals and opens secrets with a key derived from TOKENBOT_SECRET_KEY."""

    def __init__(self, key: str) -> None:
        if len(key) < MIN_KEY_LENGTH:
            raise ValueError(f"the key must have at least {MIN_KEY_LENGTH} characters")
        # Any long random string works as TOKENBOT_SECRET_KEY; Fernet wants 32 bytes, base64.
        digest = hashlib.sha256(key.encode()).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(digest))

    def seal(self, secret: Secret) -> str:
        return self._fernet.encrypt(secret.reveal().encode()).decode()

    def open(self, ciphertext: str) -> Secret:
        try:
            return Secret(self._fernet.decrypt(ciphertext.encode()).decode())
        except InvalidToken:
            raise SecretBoxError("this secret cannot be decrypted with the current key") from None

    def __repr__(self) -> str:
        return "FernetBox(key=********)"
