"""`python -m ingestors.postal`: the reader of the mailroom's OCR output folder.

Settings come from SPORTELLO_* environment variables (see settings.py); SIGTERM or SIGINT
stops it cleanly.
"""

import asyncio
import sys

from ingestors.inbox.folders import InboxBusy
from ingestors.inbox.service import configure_logging, stop_on_signals
from ingestors.postal.service import serve
from ingestors.postal.settings import PostalSettings


def main() -> int:
    settings = PostalSettings()
    configure_logging(settings.log_level)

    async def run() -> None:
        stop = asyncio.Event()
        stop_on_signals(stop)
        await serve(settings, stop)

    try:
        asyncio.run(run())
    except InboxBusy as exc:
        print(f"ingestors.postal: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
