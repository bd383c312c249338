"""`python -m ingestors.scans`: the front-office scan folder watcher.

Settings come from SPORTELLO_* environment variables (see settings.py); SIGTERM or SIGINT
stops it cleanly: nothing new is picked up, what is in flight is finished or left in the
inbox for the next start.
"""

import asyncio
import sys

from ingestors.inbox.folders import InboxBusy
from ingestors.inbox.service import configure_logging, stop_on_signals
from ingestors.scans.service import serve
from ingestors.scans.settings import ScanSettings


def main() -> int:
    settings = ScanSettings()
    configure_logging(settings.log_level)

    async def run() -> None:
        stop = asyncio.Event()
        stop_on_signals(stop)
        await serve(settings, stop)

    try:
        asyncio.run(run())
    except InboxBusy as exc:
        print(f"ingestors.scans: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
