"""What every pipeline job shares: its log file and a process pool over tracks."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


@contextmanager
def logged(log_path: str | Path) -> Iterator[logging.Logger]:
    """Send logging (and warnings) to ``log_path``; an exception is logged with its traceback.

    The exception is re-raised so that Snakemake marks the job failed and names this log.
    """
    Path(log_path).parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(log_path, mode="w")
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    logging.captureWarnings(True)
    logger = logging.getLogger("mirlab.job")
    logger.info("command: %s", " ".join(sys.argv))
    try:
        yield logger
    except BaseException:
        logger.exception("job failed")
        raise
    finally:
        root.removeHandler(handler)
        handler.close()


def map_tracks(function: Callable, items: Iterable, workers: int) -> list:
    """``[function(item) for item in items]``, over ``workers`` processes when more than one.

    Results keep the order of ``items``, so outputs do not depend on ``workers``.
    """
    items = list(items)
    workers = max(1, min(workers, len(items), os.cpu_count() or 1))
    if workers == 1:
        return [function(item) for item in items]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(function, items, chunksize=max(1, len(items) // (4 * workers))))
