"""Waiting for SIGTERM or SIGINT, so that every service stops cleanly the same way."""

import asyncio
import signal


async def wait_for_shutdown() -> None:
    """Return when the process is asked to stop (SIGTERM from the supervisor, or Ctrl-C)."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
