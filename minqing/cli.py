"""The `minqing` command: up, intake, worker, import, simulate, replay."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

from pydantic import ValidationError

from minqing import logs
from minqing.config import load_config
from minqing.errors import MinqingError
from minqing.regions import Regions
from minqing.settings import Settings

log = logging.getLogger("minqing")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="minqing", description="民情 grassroots dispute early warning")
    sub = p.add_subparsers(dest="cmd", required=True)
    up = sub.add_parser("up", help="run everything on one machine (broker, worker, web)")
    up.add_argument("--demo", action="store_true", help="also run a live feed of simulated reports")
    up.add_argument(
        "--detached",
        action="store_true",
        help="keep running when the starting process exits (default: stop with it)",
    )
    sub.add_parser("intake", help="run the intake web app and outbox relay only")
    sub.add_parser("worker", help="run the Faust worker only")
    imp = sub.add_parser("import", help="send a JSONL file of reports through the intake")
    imp.add_argument("file", type=Path)
    imp.add_argument("--url", default=None, help="intake base URL (default: local)")
    sim = sub.add_parser("simulate", help="write simulated reports to JSONL or send them live")
    sim.add_argument("--output", type=Path, help="JSONL file to write")
    sim.add_argument("--live", action="store_true", help="post to a running intake instead")
    sim.add_argument("--url", default=None)
    sim.add_argument("--seed", type=int, default=7)
    sim.add_argument("--matters", type=int, default=40)
    sim.add_argument("--days", type=float, default=7.0)
    rep = sub.add_parser("replay", help="cluster and score a file offline, deterministically")
    rep.add_argument("--input", type=Path, required=True)
    rep.add_argument("--output", type=Path, required=True)
    rep.add_argument("--regions", type=Path, help="CSV code,name,parent_code,level to add")
    _evaluation_parsers(sub)
    _admin_parsers(sub)
    return p


def _admin_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``user add`` and ``retention`` (producers/auth/cli.py runs them)."""
    user = sub.add_parser("user", help="staff accounts (add)")
    what = user.add_subparsers(dest="user_cmd", required=True)
    add = what.add_parser("add", help="create a staff account; prints its password once")
    add.add_argument("username")
    add.add_argument("--role", required=True,
                     choices=["analyst", "unit_handler", "leader", "admin"])  # fmt: skip
    add.add_argument("--regions", nargs="*", default=[], help="region-code prefixes (analyst)")
    add.add_argument("--units", nargs="*", default=[], help="unit ids (unit handler)")
    add.add_argument("--leader", default="", help="leader id in routing.toml (leader)")
    add.add_argument("--token", action="store_true", help="also issue an API token")
    ret = sub.add_parser("retention", help="drop reports older than MINQING_RETENTION_MONTHS")
    ret.add_argument("--dry-run", action="store_true", help="only list what would be dropped")


def _evaluation_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from producers import scenarios  # light: records and config only

    ev = sub.add_parser("evaluate", help="measure clustering or risk against ground truth")
    what = ev.add_subparsers(dest="what", required=True)
    evc = what.add_parser("clustering", help="B-cubed P/R/F1, ARI, AMI on labelled reports")
    evc.add_argument("--input", type=Path, required=True, help="JSONL reports with matter_label")
    evc.add_argument("--json", type=Path, help="also write the figures as JSON here")
    evr = what.add_parser("risk", help="AUPR, Brier, lead time against two baselines")
    evr.add_argument("--input", type=Path, required=True, help="JSONL reports")
    evr.add_argument("--truth", type=Path, required=True, help="folder with truth_*.csv")
    evr.add_argument("--json", type=Path, help="also write the figures as JSON here")
    sc = sub.add_parser(
        "scenarios", help="synthetic scenarios with ground truth (risk, clustering)"
    )
    sc.add_argument("--output", type=Path, required=True, help="folder to write")
    sc.add_argument("--preset", default="train", choices=scenarios.NAMES)
    sc.add_argument("--seed", type=int)
    sc.add_argument("--n-matters", dest="n_matters", type=int)
    sc.add_argument("--days", type=float)
    tr = sub.add_parser("train", help="train the risk model from files or the warehouse")
    tr.add_argument("--input", type=Path, help="JSONL reports (default: the warehouse)")
    tr.add_argument("--truth", type=Path, help="folder with truth_*.csv")
    tr.add_argument("--output", type=Path, help="where to save the model")
    tr.add_argument(
        "--grouping",
        choices=["baseline", "live"],
        default="baseline",
        help="clusterer of the noisy training replay: reference (baseline) or live Clusterer",
    )


def _base_url(settings: Settings, url: str | None) -> str:
    return url or f"http://127.0.0.1:{settings.http_port}"


def _token(settings: Settings) -> str | None:
    """MINQING_API_TOKEN, else (development) the first-run admin's token."""
    from producers.auth.bootstrap import dev_token

    return os.environ.get("MINQING_API_TOKEN") or dev_token(settings)


def cmd_import(settings: Settings, args: argparse.Namespace) -> int:
    from producers.sender import file_lines, send_lines, wait_ready

    base = _base_url(settings, args.url)
    wait_ready(base, 10)
    total = sum(1 for _ in file_lines(args.file))
    result = send_lines(base, file_lines(args.file), total=total, token=_token(settings))
    rejected_path = args.file.with_suffix(".rejected.jsonl")
    if result.rejected:
        with rejected_path.open("w", encoding="utf-8") as f:
            for r in result.rejected:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
    log.info(
        "accepted %d, rejected %d%s",
        result.accepted,
        len(result.rejected),
        f" (reasons in {rejected_path})" if result.rejected else "",
    )
    return 0 if not result.rejected else 3


def cmd_simulate(settings: Settings, args: argparse.Namespace) -> int:
    from producers.simulator import SimConfig, simulate, write_jsonl

    config = load_config(settings.config_dir)
    regions = Regions.from_csv(config.region_file)
    reports = simulate(SimConfig(seed=args.seed, n_matters=args.matters, days=args.days), regions)
    if args.output:
        n = write_jsonl(reports, args.output)
        log.info("wrote %d reports to %s", n, args.output)
    if args.live:
        from producers.sender import send_lines, wait_ready

        base = _base_url(settings, args.url)
        wait_ready(base, 10)
        lines = ((i, r.to_bytes()) for i, r in enumerate(reports, 1))
        result = send_lines(base, lines, total=len(reports), token=_token(settings))
        log.info("sent %d, rejected %d", result.accepted, len(result.rejected))
    return 0


def cmd_replay(settings: Settings, args: argparse.Namespace) -> int:
    from models.replay import run_replay

    config = load_config(settings.config_dir)
    regions = Regions.from_csv(config.region_file)
    if args.regions:
        regions.add_csv(args.regions)
    n = run_replay(args.input, args.output, config, regions)
    log.info("replayed %d reports into %s", n, args.output)
    return 0


def dispatch(settings: Settings, args: argparse.Namespace) -> int:
    from minqing import stack

    if args.cmd == "up":
        stack.up(settings, demo=args.demo, watch_parent=not args.detached)
    elif args.cmd == "intake":
        stack.intake(settings)
    elif args.cmd == "worker":
        stack.worker(settings)
    elif args.cmd == "evaluate" and args.what == "clustering":
        from models.evaluate_clustering import main as evaluate_clustering

        return evaluate_clustering(settings, args)
    elif args.cmd == "evaluate":
        from models.evaluate_risk import main as evaluate_risk

        return evaluate_risk(settings, args)
    elif args.cmd == "scenarios":
        from producers.scenarios import main as scenarios

        return scenarios(settings, args)
    elif args.cmd == "train":
        from models.training import main as train

        return train(settings, args)
    elif args.cmd in ("user", "retention"):
        from producers.auth.cli import cmd_retention, cmd_user

        return (cmd_user if args.cmd == "user" else cmd_retention)(settings, args)
    else:
        handlers = {"import": cmd_import, "simulate": cmd_simulate, "replay": cmd_replay}
        return handlers[args.cmd](settings, args)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = Settings()
    except ValidationError as e:
        sys.stderr.write(f"invalid MINQING_* settings / 环境变量配置无效:\n{e}\n")
        return 2
    except MinqingError as e:  # production with a placeholder secret (minqing/placeholders.py)
        sys.stderr.write(f"{e}\n")
        return 2
    logs.configure(settings)
    try:
        return dispatch(settings, args)
    except MinqingError as e:
        log.error("%s", e)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
