"""One log format for every Sportello process, so the supervisor's merged stream reads well."""

import logging
import sys


def configure_logging(level: str = "INFO") -> None:
    logging.basicConfig(
        level=level.upper(),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
        force=True,
    )
    # aiokafka logs every reconnection attempt at ERROR; once a warning is enough for us.
    logging.getLogger("aiokafka").setLevel(max(logging.WARNING, logging.getLogger().level))
