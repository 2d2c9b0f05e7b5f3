"""Private links: long, random, and the only key to what they open."""

import secrets

TOKEN_BYTES = 32  # 256 bits: 43 URL-safe characters


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)
