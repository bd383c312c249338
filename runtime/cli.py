"""The `sportello` command: set-up steps and running the services.

sportello topics            create or check every topic (idempotent)
sportello migrate           apply PostgreSQL migrations (idempotent)
sportello schemas [--check] export event JSON Schemas into schemas/json/
sportello run [SERVICE ...] run the services in the foreground (all by default)
"""

import argparse
import asyncio
import sys
from collections.abc import Sequence

from runtime.logs import configure_logging
from runtime.settings import CommonSettings


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
    p_run.add_argument("services", nargs="*", help="web, worker, sink (default: all)")
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
            case "train":
                from processors.classify.command import main as train_main

                return train_main(args.args)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a set-up command says what went wrong in one line
        print(f"sportello {args.command}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 2


if __name__ == "__main__":
    sys.exit(main())
