"""The `sportello` command: set-up steps and running the services.

sportello topics            create or check every topic (idempotent)
sportello migrate           apply PostgreSQL migrations (idempotent)
sportello schemas [--check] export event JSON Schemas into schemas/json/
sportello run [SERVICE ...] run the services in the foreground (all by default)
sportello replay [--keep]   rebuild the PostgreSQL store from the topics
sportello erase --email X | --phone X | --tax-code X | --tracking-id X
                            erase one citizen's personal data from the store
sportello retention [--dry-run]
                            erase personal data of cases closed longer ago than the policy
"""

import argparse
import asyncio
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from runtime.logs import configure_logging
from runtime.settings import CommonSettings

if TYPE_CHECKING:
    import asyncpg

    from sinks.postgres.erasure import IdentifierKind

_ERASE_BY: tuple["IdentifierKind", ...] = ("email", "phone", "tax_code", "tracking_id")


def _topics(settings: CommonSettings) -> int:
    from processors.bodies import load_bodies
    from runtime.topics import declared_topics, ensure_topics

    specs = declared_topics(
        [b.id for b in load_bodies(settings.bodies_file)],
        partitions=settings.topic_partitions,
        replication=settings.topic_replication,
    )
    for line in asyncio.run(ensure_topics(settings.kafka_bootstrap, specs)):
        print(f"topics: {line}")
    return 0


def _migrate(settings: CommonSettings) -> int:
    import asyncpg

    from sinks.postgres.migrate import migrate

    async def go() -> list[str]:
        conn = await asyncpg.connect(settings.pg_dsn.get_secret_value())
        try:
            return await migrate(conn)
        finally:
            await conn.close()

    applied = asyncio.run(go())
    print(f"migrate: applied {', '.join(applied)}" if applied else "migrate: up to date")
    return 0


def _schemas(check: bool) -> int:
    from schemas.export import JSON_DIR, rendered_schemas, write_schemas

    if check:
        stale = [
            name
            for name, text in rendered_schemas().items()
            if not (JSON_DIR / name).exists()
            or (JSON_DIR / name).read_text(encoding="utf-8") != text
        ]
        for name in stale:
            print(f"schemas: stale {name}; run 'sportello schemas'")
        return 1 if stale else 0
    for path in write_schemas():
        print(f"schemas: wrote {path}")
    return 0


def _replay(keep: bool, batch_size: int) -> int:
    from sinks.postgres.replay import replay
    from sinks.postgres.settings import SinkSettings

    settings = SinkSettings()

    async def go() -> None:
        pool = await _pool(settings)
        try:
            report = await replay(
                pool,
                settings.kafka_bootstrap,
                truncate=not keep,
                batch_size=batch_size,
                decode_processes=settings.sink_decode_processes,
            )
        finally:
            await pool.close()
        print(
            f"replay: {report.messages} messages from {report.partitions} partitions"
            f" in {report.seconds:.1f} s ({'kept' if keep else 'rebuilt'} the store)"
        )

    asyncio.run(go())
    return 0


def _erase(kind: "IdentifierKind", value: str) -> int:
    from datetime import UTC, datetime

    from sinks.postgres.erasure import Identifier, erase
    from sinks.postgres.settings import SinkSettings

    settings = SinkSettings()

    async def go() -> int:
        pool = await _pool(settings)
        try:
            done = await erase(pool, Identifier(kind, value), now=datetime.now(UTC))
        finally:
            await pool.close()
        if done.erasure_id is None:
            print(f"erase: nothing stored matches that {kind}")
            return 1
        print(
            f"erase: erasure {done.erasure_id}: {len(done.case_ids)} cases,"
            f" {len(done.tracking_ids)} submissions, {done.rows_redacted} rows redacted"
        )
        for case_id in done.case_ids:
            print(f"erase:   {case_id}")
        return 0

    return asyncio.run(go())


def _retention(dry_run: bool) -> int:
    from datetime import UTC, datetime

    from sinks.postgres.erasure import apply_retention
    from sinks.postgres.settings import SinkSettings

    settings = SinkSettings()
    keep = settings.retention
    if keep is None:
        print("retention: SPORTELLO_PERSONAL_DATA_RETENTION_DAYS is unset; nothing to do")
        return 0

    async def go() -> None:
        pool = await _pool(settings)
        try:
            done = await apply_retention(
                pool, keep=keep, now=datetime.now(UTC), dry_run=dry_run
            )
        finally:
            await pool.close()
        verb = "would erase" if dry_run else "erased"
        print(f"retention: {verb} the personal data of {len(done)} cases")

    asyncio.run(go())
    return 0


async def _pool(settings: CommonSettings) -> "asyncpg.Pool":
    import asyncpg

    return await asyncpg.create_pool(settings.pg_dsn.get_secret_value(), min_size=1, max_size=2)


def _run(names: list[str]) -> int:
    from runtime.services import SERVICES, select
    from runtime.supervisor import run_services

    try:
        chosen = select(names)
    except ValueError as exc:
        print(f"run: {exc}", file=sys.stderr)
        return 2
    for s in chosen:
        print(f"run: {s.name:<8} {s.what}")
    if len(chosen) < len(SERVICES):
        print("run: (a subset; run more copies of a service for more throughput)")
    run_services(chosen)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sportello", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("topics", help="create or check every topic")
    sub.add_parser("migrate", help="apply PostgreSQL migrations")
    p_schemas = sub.add_parser("schemas", help="export event JSON Schemas")
    p_schemas.add_argument("--check", action="store_true", help="fail if the export is stale")
    p_train = sub.add_parser(
        "train", help="evaluate, train and save the classifier", add_help=False
    )
    p_train.add_argument("args", nargs=argparse.REMAINDER, help="see 'sportello train --help'")
    p_run = sub.add_parser("run", help="run services in the foreground")
    p_run.add_argument("services", nargs="*", help="web, worker, sink, notifier… (default: all)")
    p_replay = sub.add_parser("replay", help="rebuild the PostgreSQL store from the topics")
    p_replay.add_argument(
        "--keep", action="store_true", help="do not empty the tables first (changes nothing)"
    )
    p_replay.add_argument("--batch-size", type=int, default=2000)
    p_erase = sub.add_parser("erase", help="erase one citizen's personal data from the store")
    who = p_erase.add_mutually_exclusive_group(required=True)
    for flag in ("--email", "--phone", "--tax-code", "--tracking-id"):
        who.add_argument(flag)
    p_retention = sub.add_parser("retention", help="apply the personal-data retention policy")
    p_retention.add_argument("--dry-run", action="store_true", help="only say what it would do")
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["train"]:
        # Its options are its own (argparse's REMAINDER would refuse `train --out DIR`).
        from processors.classify.command import main as train_main

        return train_main(argv[1:])
    args = parser.parse_args(argv)

    settings = CommonSettings()
    configure_logging(settings.log_level)
    try:
        match args.command:
            case "topics":
                return _topics(settings)
            case "migrate":
                return _migrate(settings)
            case "schemas":
                return _schemas(args.check)
            case "run":
                return _run(args.services)
            case "replay":
                return _replay(args.keep, args.batch_size)
            case "erase":
                kind, value = next(
                    (k, v) for k in _ERASE_BY if (v := getattr(args, k)) is not None
                )
                return _erase(kind, value)
            case "retention":
                return _retention(args.dry_run)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a set-up command says what went wrong in one line
        print(f"sportello {args.command}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 2


if __name__ == "__main__":
    sys.exit(main())
