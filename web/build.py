"""``python -m web.build``: copy ECharts from the npm registry into web/static/vendor/.

The file is 1 MB, so it is built (by ``make setup``) rather than committed;
web/static/vendor/ is git-ignored. The tarball is checked against the npm
registry's published sha512 pinned here, so a changed package fails the build
instead of being served to the office. Without ECharts the pages still work and
show their figures as tables.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import logging
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

log = logging.getLogger("web.build")

ECHARTS_VERSION = "5.6.0"
ECHARTS_SHA512 = (
    "oTbVTsXfKuEhxftHqL5xprgLoc0k7uScAwtryCgWF6hPYFLRwOUHiFmHGCBKP5NPFNkDVopOieyUqYGH8Fa3kA=="
)
VENDOR = Path(__file__).parent / "static" / "vendor"
FILES = {"package/dist/echarts.min.js": "echarts.min.js", "package/LICENSE": "ECHARTS-LICENSE.txt"}
STAMP = VENDOR / ".echarts-version"


def up_to_date() -> bool:
    return STAMP.is_file() and STAMP.read_text().strip() == ECHARTS_VERSION


def integrity(path: Path) -> str:
    return base64.b64encode(hashlib.sha512(path.read_bytes()).digest()).decode()


def fetch(workdir: Path) -> Path:
    """``npm pack`` the pinned version into ``workdir`` and verify it."""
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm not found: install Node.js and npm to build the charts")
    spec = f"echarts@{ECHARTS_VERSION}"
    subprocess.run(
        [npm, "pack", spec, "--silent", "--pack-destination", str(workdir)],
        check=True,
        stdout=subprocess.DEVNULL,
        timeout=300,
    )
    tarball = workdir / f"echarts-{ECHARTS_VERSION}.tgz"
    if integrity(tarball) != ECHARTS_SHA512:
        raise RuntimeError(f"{tarball.name}: sha512 differs from the pinned one")
    return tarball


def extract(tarball: Path) -> None:
    VENDOR.mkdir(parents=True, exist_ok=True)
    with tarfile.open(tarball) as tar:
        for member, target in FILES.items():
            source = tar.extractfile(member)
            if source is None:
                raise RuntimeError(f"{member} missing from {tarball.name}")
            body = source.read()
            (VENDOR / target).write_bytes(body)
            if target.endswith(".js"):
                # Served as is to browsers that accept gzip: a third of the size.
                (VENDOR / f"{target}.gz").write_bytes(gzip.compress(body, 9, mtime=0))
    STAMP.write_text(ECHARTS_VERSION + "\n")


def build(force: bool = False) -> None:
    if up_to_date() and not force:
        log.info("ECharts %s already in %s", ECHARTS_VERSION, VENDOR)
        return
    with tempfile.TemporaryDirectory() as tmp:
        extract(fetch(Path(tmp)))
    log.info("ECharts %s copied to %s", ECHARTS_VERSION, VENDOR)


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        build(force="--force" in sys.argv)
    except (RuntimeError, subprocess.SubprocessError, OSError) as e:
        log.error("cannot build ECharts: %s", e)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
