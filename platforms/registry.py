"""Platform registry: --platform NAME -> class."""
from __future__ import annotations

from foundations.errors import UsageError
from platforms.base import Platform, PlatformHparams

PLATFORMS: dict[str, type[Platform]] = {"local": Platform}


def create(hparams: PlatformHparams) -> Platform:
    try:
        cls = PLATFORMS[hparams.platform]
    except KeyError:
        raise UsageError(f"--platform: unknown {hparams.platform!r}; choose from {', '.join(PLATFORMS)}") from None
    return cls(hparams)
