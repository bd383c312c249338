"""`python -m ingestors.postal`: the reader of the mailroom's OCR output folder.

Settings come from SPORTELLO_* environment variables (see settings.py); SIGTERM or SIGINT
stops it cleanly.
"""

import sys

from ingestors.inbox.service import run_service
from ingestors.postal.service import serve
from ingestors.postal.settings import PostalSettings

if __name__ == "__main__":
    sys.exit(run_service("ingestors.postal", PostalSettings(), serve))
