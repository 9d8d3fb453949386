"""The generator's per-request disk work, made cheap enough not to limit a fast server.

DataTrove 0.10.1's `InferenceRunner` does, for every answered request: one sqlite `INSERT` and one
`COMMIT` in the replay cache (plus a thread hop to serialize the result), and an `aiofiles`
open-append-close of the checkpoint file (three thread-pool hops), and it pulls the plan one document
per thread hop. The replacements below keep the same files, formats and resume semantics:

- `BatchedRequestCache` drains whatever the queue holds and writes it with one `executemany` and one
  commit (a burst of 64 answers is one transaction instead of 64);
- `BufferedCheckpointManager` keeps each chunk's checkpoint file open and appends with a plain write +
  flush (the line reaches the OS before the document counts as done, so a killed process loses
  nothing it reported), closing it when the chunk completes;
- `batched_documents` pulls the plan a batch at a time off the event loop.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
from collections.abc import AsyncIterator, Iterable
from concurrent.futures import ThreadPoolExecutor
from itertools import islice

import orjson
from datatrove.data import Document
from datatrove.pipeline.inference.checkpointing import CheckpointManager, RequestCache
from loguru import logger

_INSERT = (
    "INSERT OR REPLACE INTO request_cache (chunk_index, doc_id, rollout_idx, payload_hash, result, error_message) "
    "VALUES (?, ?, ?, ?, ?, ?)"
)
MAX_BATCH = 512


class BatchedRequestCache(RequestCache):
    """DataTrove's sqlite replay cache with one transaction per burst of answers."""

    async def _writer_loop(self) -> None:
        assert self._queue is not None
        stop = False
        while not stop:
            items = [await self._queue.get()]
            while len(items) < MAX_BATCH and not self._queue.empty():
                items.append(self._queue.get_nowait())
            rows = []
            for item in items:
                if item is None:
                    stop = True
                    continue
                op_type, (chunk_index, doc_id, rollout_idx, payload_hash, value) = item
                if op_type == "result":
                    rows.append((chunk_index, doc_id, rollout_idx, payload_hash, orjson.dumps(value), None))
                else:
                    rows.append((chunk_index, doc_id, rollout_idx, payload_hash, None, value))
            try:
                if rows and self._conn is not None:
                    await self._conn.executemany(_INSERT, rows)
                    await self._conn.commit()
            except Exception as exc:  # the cache is an optimisation: a failed write costs a re-ask, not the run
                logger.error(f"Failed to write {len(rows)} request cache entries: {exc}")
            finally:
                for _ in items:
                    self._queue.task_done()


class BufferedCheckpointManager(CheckpointManager):
    """DataTrove's chunked checkpoints, appended through files kept open per chunk."""

    def __init__(self, *args, progress_ref: list | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self._progress_ref = progress_ref if progress_ref is not None else []
        self._handles: dict[int, object] = {}

    async def parse_existing_checkpoints(self, rank, output_writer_context):
        skip, done_ids = await super().parse_existing_checkpoints(rank, output_writer_context)
        if self._progress_ref:
            self._progress_ref[0].on_resume(skip + len(done_ids))
        return skip, done_ids

    def _append(self, rank: int, chunk_index: int, document: Document) -> None:
        handle = self._handles.get(chunk_index)
        if handle is None:
            path = os.path.join(self.checkpoints_local_dir, f"{rank:05d}", f"chunk_{chunk_index:05d}.jsonl")
            os.makedirs(os.path.dirname(path), exist_ok=True)
            handle = self._handles[chunk_index] = open(path, "ab")  # noqa: SIM115 - closed when the chunk completes
        handle.write(orjson.dumps(dataclasses.asdict(document), option=orjson.OPT_APPEND_NEWLINE))
        handle.flush()

    def _close(self, chunk_index: int | None = None) -> None:
        for index in [chunk_index] if chunk_index is not None else list(self._handles):
            handle = self._handles.pop(index, None)
            if handle is not None:
                handle.close()

    async def write_document(self, document: Document, rank: int, chunk_index: int, output_writer_context) -> None:
        completed = False
        async with self.file_locks[chunk_index]:
            if "__no_rollouts_remove" not in document.metadata:
                output_writer_context.write(document, rank=rank, chunk_index=chunk_index)
            self.per_chunk_counts[chunk_index] += 1
            if self.checkpoints_local_dir is not None:
                self._append(rank, chunk_index, document)
                if self.per_chunk_counts[chunk_index] == self.records_per_chunk:
                    self._close(chunk_index)
                    output_writer_context.close_file(
                        output_writer_context._get_output_filename(document, rank, chunk_index=chunk_index)
                    )
                    self.new_completed_chunks.add(chunk_index)
                    completed = True
        if completed:  # outside the chunk lock, as DataTrove does
            await self.update_last_chunk_index(rank)

    async def cleanup_last_chunk(self, rank: int, chunk_index: int):
        self._close()
        await super().cleanup_last_chunk(rank, chunk_index)


async def batched_documents(documents: Iterable[Document], batch_size: int = 256) -> AsyncIterator[Document]:
    """Yield `documents`, reading `batch_size` of them per hop to a worker thread."""
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="plan-reader")
    iterator = iter(documents)
    loop = asyncio.get_running_loop()
    try:
        while True:
            batch = await loop.run_in_executor(pool, lambda: list(islice(iterator, batch_size)))
            if not batch:
                return
            for document in batch:
                yield document
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
