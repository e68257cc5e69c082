"""The durable outbox: a report answered 201 stays until the warehouse holds it."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from minqing.errors import IntakeError
from producers.outbox import Outbox


@pytest.fixture
def make_outbox(tmp_path: Path) -> Iterator[Callable[..., Outbox]]:
    """Factory: ``make(path=None)`` opens an outbox (default: one file per test), closed after."""
    opened: list[Outbox] = []

    def make(path: Path | None = None) -> Outbox:
        box = Outbox(path or tmp_path / "box" / "outbox.sqlite3")
        opened.append(box)
        return box

    yield make
    for box in opened:
        box.close()  # closing twice is harmless


def fill(box: Outbox, n: int) -> list[str]:
    ids = [f"r{i}" for i in range(n)]
    for i, rid in enumerate(ids):
        assert box.put(rid, f"R{i}", f'{{"n": {i}}}'.encode())
    return ids


def test_put_lookup_depth(make_outbox: Callable[..., Outbox]) -> None:
    box = make_outbox()
    assert box.depth() == 0 and box.lookup("R0") is None
    fill(box, 3)
    assert box.depth() == 3
    assert box.lookup("R1") == "r1"
    assert box.lookup("nope") is None


def test_put_is_idempotent(make_outbox: Callable[..., Outbox]) -> None:
    box = make_outbox()
    assert box.put("r1", "R1", b"first")
    assert not box.put("r1", "R1", b"second")
    assert box.depth() == 1
    assert box.due(60) == [("r1", b"first")]  # the first payload is kept


def test_new_reports_are_due(make_outbox: Callable[..., Outbox]) -> None:
    box = make_outbox()
    fill(box, 3)
    assert sorted(box.due(60)) == [("r0", b'{"n": 0}'), ("r1", b'{"n": 1}'), ("r2", b'{"n": 2}')]
    assert len(box.due(60, limit=2)) == 2
    assert all(isinstance(p, bytes) for _, p in box.due(60))


def test_sent_reports_are_due_again_only_after_resend_after(
    make_outbox: Callable[..., Outbox],
) -> None:
    box = make_outbox()
    fill(box, 3)
    box.mark_sent(["r0", "r1"])
    assert [rid for rid, _ in box.due(60)] == ["r2"]
    assert sorted(rid for rid, _ in box.due(-1)) == ["r0", "r1", "r2"]  # long enough ago
    assert sorted(box.unconfirmed()) == ["r0", "r1"]


def test_confirm_forgets_only_the_given_reports(make_outbox: Callable[..., Outbox]) -> None:
    box = make_outbox()
    fill(box, 3)
    box.mark_sent(["r0", "r1", "r2"])
    box.confirm(["r1", "unknown"])
    assert box.depth() == 2
    assert sorted(box.unconfirmed()) == ["r0", "r2"]
    assert box.lookup("R1") is None and box.lookup("R0") == "r0"
    box.confirm([])
    assert box.depth() == 2


def test_forget_sends_makes_everything_due(make_outbox: Callable[..., Outbox]) -> None:
    """After a restart the broker may be new and empty: send everything again."""
    box = make_outbox()
    fill(box, 2)
    box.mark_sent(["r0", "r1"])
    assert box.due(60) == []
    box.forget_sends()
    assert sorted(rid for rid, _ in box.due(60)) == ["r0", "r1"]
    assert box.unconfirmed() == []


def test_unrecorded_and_mark_recorded(make_outbox: Callable[..., Outbox]) -> None:
    box = make_outbox()
    fill(box, 3)
    assert sorted(rid for rid, _ in box.unrecorded()) == ["r0", "r1", "r2"]
    box.mark_recorded(["r0", "r2"])
    assert box.unrecorded() == [("r1", b'{"n": 1}')]
    assert len(box.unrecorded(limit=0)) == 0
    # Recording is independent of sending: recorded reports are still due.
    assert len(box.due(60)) == 3


def test_data_survives_reopening(make_outbox: Callable[..., Outbox], tmp_path: Path) -> None:
    path = tmp_path / "o.sqlite3"
    box = make_outbox(path)
    fill(box, 3)
    box.mark_sent(["r0"])
    box.mark_recorded(["r1"])
    box.confirm(["r2"])
    box.close()
    again = make_outbox(path)
    assert again.depth() == 2
    assert again.lookup("R0") == "r0"
    assert again.unconfirmed() == ["r0"]
    assert [rid for rid, _ in again.unrecorded()] == ["r0"]
    assert [rid for rid, _ in again.due(60)] == ["r1"]
    assert not again.put("r0", "R0", b"again")


def test_an_accepted_report_survives_kill_9(
    make_outbox: Callable[..., Outbox], tmp_path: Path
) -> None:
    path = tmp_path / "killed.sqlite3"
    code = (
        "import os, signal, sys\n"
        "from pathlib import Path\n"
        "from producers.outbox import Outbox\n"
        "box = Outbox(Path(sys.argv[1]))\n"
        "box.put('r-k', 'RK', b'payload')\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code, str(path)], timeout=60)
    assert proc.returncode == -9
    box = make_outbox(path)
    assert box.lookup("RK") == "r-k"
    assert box.due(60) == [("r-k", b"payload")]


def test_concurrent_puts_from_threads(make_outbox: Callable[..., Outbox]) -> None:
    box = make_outbox()
    errors: list[BaseException] = []

    def worker(t: int) -> None:
        try:
            for i in range(50):
                box.put(f"t{t}-{i}", f"R{t}-{i}", b"x")
                box.put(f"t{t}-{i}", f"R{t}-{i}", b"x")
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    assert box.depth() == 400


def test_unopenable_path_is_an_intake_error(tmp_path: Path) -> None:
    (tmp_path / "dir.sqlite3").mkdir()
    with pytest.raises(IntakeError, match="cannot open outbox"):
        Outbox(tmp_path / "dir.sqlite3")
