"""Static files for the pages: loaded once, gzipped once, cached hard by the browser.

Informants pay for every byte, so asset URLs carry a content version
(``?v=...``) and are served ``immutable`` for a year; the HTML itself is small
and never cached, so a new release reaches phones on the next page load.
Everything is served from this app: no CDN, no external request.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import mimetypes
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import Request, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"
TEXT_TYPES = ("text/", "application/javascript", "application/json", "image/svg+xml")
LONG_CACHE = "public, max-age=31536000, immutable"


@dataclass(frozen=True)
class Asset:
    body: bytes
    gz: bytes | None
    media_type: str


def _media_type(path: Path) -> str:
    if path.suffix == ".js":
        return "application/javascript; charset=utf-8"
    guessed = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"{guessed}; charset=utf-8" if guessed.startswith("text/") else guessed


class Assets:
    """Files under web/static/ (except pages), keyed by their path relative to it."""

    def __init__(self, root: Path = STATIC) -> None:
        self.root = root
        self.files: dict[str, Asset] = {}
        digest = hashlib.sha256()
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            rel = path.relative_to(root).as_posix()
            # Pages are templates; *.gz are the prebuilt gzip of their neighbour.
            if rel.startswith("pages/") or path.name.startswith(".") or path.suffix == ".gz":
                continue
            self.files[rel] = self._load(path)
            digest.update(rel.encode() + self.files[rel].body)
        self.version = digest.hexdigest()[:12]
        if "vendor/echarts.min.js" not in self.files:
            log.warning("ECharts missing (run `python -m web.build`): charts will show tables only")

    @staticmethod
    def _load(path: Path) -> Asset:
        body = path.read_bytes()
        media = _media_type(path)
        gz = None
        if media.startswith(TEXT_TYPES):
            prebuilt = path.with_name(path.name + ".gz")
            gz = prebuilt.read_bytes() if prebuilt.is_file() else gzip.compress(body, 9, mtime=0)
        return Asset(body, gz, media)

    def response(self, rel: str, request: Request) -> Response:
        asset = self.files.get(rel)
        if asset is None:
            return Response(status_code=404)
        return send(asset.body, asset.gz, asset.media_type, request, LONG_CACHE)


def accepts_gzip(request: Request) -> bool:
    return "gzip" in request.headers.get("accept-encoding", "")


def send(body: bytes, gz: bytes | None, media_type: str, request: Request, cache: str) -> Response:
    """The body, gzipped when the client takes it and that is smaller."""
    headers = {"Cache-Control": cache, "Vary": "Accept-Encoding"}
    if gz is not None and len(gz) < len(body) and accepts_gzip(request):
        headers["Content-Encoding"] = "gzip"
        return Response(gz, media_type=media_type, headers=headers)
    return Response(body, media_type=media_type, headers=headers)


class Pages:
    """The pages, rendered once from their Jinja2 templates: one layout (``_layout.html``, the
    head and header every page shares) and a file per page; the service worker too."""

    def __init__(self, assets: Assets, boot: dict[str, Any], root: Path = STATIC / "pages") -> None:
        boot_json = json.dumps(boot, ensure_ascii=False, separators=(",", ":"))
        # </ inside inline JSON would end the <script> element early.
        boot_json = boot_json.replace("</", "<\\/")
        env = Environment(
            loader=FileSystemLoader(root),
            autoescape=select_autoescape(["html"]),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        context = {"v": assets.version, "boot": Markup(boot_json), "public": False, "charts": False}
        self.pages: dict[str, tuple[bytes, bytes]] = {}
        for path in [*root.glob("*.html"), *root.glob("*.js")]:
            if path.name.startswith("_"):  # the layout and other partials
                continue
            text = env.get_template(path.name).render(context, page=path.stem)
            body = text.encode("utf-8")
            self.pages[path.stem] = (body, gzip.compress(body, 9, mtime=0))

    def response(self, name: str, request: Request) -> Response:
        body, gz = self.pages[name]
        return send(body, gz, "text/html; charset=utf-8", request, "no-cache")

    def worker(self, request: Request) -> Response:
        """The service worker; never cached itself, so a new release replaces it."""
        body, gz = self.pages["sw"]
        return send(body, gz, "application/javascript; charset=utf-8", request, "no-cache")
