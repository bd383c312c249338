"""`python -m ingestors.smtp`: the SMTP intake, until SIGTERM or SIGINT."""

import asyncio
import logging
import signal

from ingestors.smtp.server import serve
from ingestors.smtp.settings import SmtpSettings


async def _run(settings: SmtpSettings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await serve(settings, stop)


def main() -> None:
    settings = SmtpSettings()
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    asyncio.run(_run(settings))


if __name__ == "__main__":
    main()
