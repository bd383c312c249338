"""`python -m processors`: one Faust worker. Run more for more throughput (same app id)."""

import faust

from processors.app import build_app
from processors.settings import WorkerSettings


def main() -> None:
    settings = WorkerSettings()
    app = build_app(settings)
    worker = faust.Worker(app, loglevel=settings.log_level.lower(), redirect_stdouts=False)
    worker.execute_from_commandline()


if __name__ == "__main__":
    main()
