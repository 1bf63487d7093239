"""Group commit: many consumers hand rows to one writer, which stores them in one database transaction.

While a flush runs in the database thread, the next batch gathers, so an idle portal writes at once and a
busy one writes in large batches. A caller that must not answer before its data is committed (MeterValues)
awaits `submit`; fire-and-forget rows (the message log) use `submit_nowait`.

One item the database refuses must not cost the others their write: a failed batch is split in halves and
each half flushed again, down to the single item that fails, whose submitter alone gets the error (a
fire-and-forget item that cannot be stored is counted in `failed` and logged with `describe`). Halving finds
one bad item among n in about 2·log2(n) flushes instead of n.
"""

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from channels.db import database_sync_to_async

logger = logging.getLogger(__name__)

Entry = tuple[Any, asyncio.Future | None]


class GroupCommit:
    def __init__(
        self,
        flush: Callable[[list[Any]], Any],
        *,
        name: str,
        max_batch: int = 2000,
        describe: Callable[[Any], str] = repr,
    ) -> None:
        self._flush = database_sync_to_async(flush)
        self._name = name
        self._max_batch = max_batch
        self._describe = describe
        self._pending: list[Entry] = []
        self._runner: asyncio.Task | None = None
        self.flushes = 0
        self.items = 0
        self.failed = 0

    async def submit(self, item: Any) -> Any:
        """Queue `item` and return once it is committed (raises what the flush of this item alone raised). A
        flush that returns a list gives each item its own result, in order; otherwise the result is None."""
        future = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
        self._wake()
        return await future

    def submit_nowait(self, item: Any) -> None:
        self._pending.append((item, None))
        self._wake()

    def _wake(self) -> None:
        if self._runner is None or self._runner.done():
            self._runner = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while self._pending:
            batch = self._pending[: self._max_batch]
            del self._pending[: self._max_batch]
            await self._store(batch)

    async def _store(self, batch: list[Entry]) -> None:
        try:
            results = await self._flush([item for item, _ in batch])
        except Exception as exc:
            if len(batch) == 1:
                self._fail(batch[0], exc)
                return
            # Not a WARNING: the item at fault gets its own line (or its submitter's), one per bad item.
            logger.info("%s: flush of %d items failed (%s); storing them in halves", self._name, len(batch), exc)
            middle = len(batch) // 2
            await self._store(batch[:middle])
            await self._store(batch[middle:])
            return
        self.flushes += 1
        self.items += len(batch)
        if not isinstance(results, list):
            results = [None] * len(batch)
        for (_, future), result in zip(batch, results, strict=True):
            if future is not None and not future.done():
                future.set_result(result)

    def _fail(self, entry: Entry, exc: Exception) -> None:
        item, future = entry
        if future is not None:
            if not future.done():
                future.set_exception(exc)
            return
        self.failed += 1
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        logger.warning("%s: could not store %s: %s", self._name, self._describe(item), first_line)

    async def drain(self) -> None:
        """Wait until everything queued so far is written (tests, shutdown)."""
        while self._runner is not None and not self._runner.done():
            await asyncio.shield(self._runner)
