"""Static assets with content-hashed URLs, so browsers and the service worker may cache them forever."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"


@dataclass(frozen=True)
class Assets:
    root: Path = STATIC_DIR

    @cached_property
    def hashes(self) -> dict[str, str]:
        found = {}
        for path in sorted(self.root.rglob("*")):
            if path.is_file():
                found[path.relative_to(self.root).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()[:10]
        return found

    def url(self, name: str) -> str:
        digest = self.hashes.get(name)
        if digest is None:
            raise KeyError(f"no static asset {name!r}")
        return f"/static/{name}?v={digest}"

    @cached_property
    def version(self) -> str:
        """One hash over all assets: the service worker's cache name changes whenever any asset does."""
        joined = "".join(f"{name}:{digest};" for name, digest in sorted(self.hashes.items()))
        return hashlib.sha256(joined.encode()).hexdigest()[:12]
