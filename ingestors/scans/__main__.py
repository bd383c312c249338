"""`python -m ingestors.scans`: the front-office scan folder watcher.

Settings come from SPORTELLO_* environment variables (see settings.py); SIGTERM or SIGINT
stops it cleanly: nothing new is picked up, what is in flight is finished or left in the
inbox for the next start.
"""

import sys

from ingestors.inbox.service import run_service
from ingestors.scans.service import serve
from ingestors.scans.settings import ScanSettings

if __name__ == "__main__":
    sys.exit(run_service("ingestors.scans", ScanSettings(), serve))
