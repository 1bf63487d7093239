"""A process of websocket clients speaking the browser protocol of ws/live/ (what static/js/live.js does), for
benchmarks/live_latency.py: each watches its feeds and notes, for every `meter_values` event, how long after the
reading's timestamp it arrived."""

import asyncio
import json
import time
from datetime import datetime
from multiprocessing.connection import Connection

import websockets


class Watcher:
    def __init__(self, port: int, cookie: str, feeds: list[str]) -> None:
        self.url = f"ws://127.0.0.1:{port}/ws/live/"
        self.headers = {"Origin": f"http://127.0.0.1:{port}", "Cookie": cookie}
        self.feeds = feeds
        self.seen: list[tuple[float, float]] = []  # (reading's timestamp, latency in s)
        self.errors = 0

    async def watch(self, ready: asyncio.Event) -> None:
        async with websockets.connect(
            self.url, additional_headers=self.headers, open_timeout=30, max_size=None
        ) as socket:
            await socket.send(json.dumps({"watch": self.feeds}))
            while True:
                message = json.loads(await socket.recv())
                if message["type"] == "snapshot":
                    ready.set()
                elif message["type"] == "events":
                    self._note(message["events"], time.time())

    def _note(self, events: list[dict], received: float) -> None:
        for event in events:
            if event["event"] == "meter_values":
                stamped = datetime.fromisoformat(event["data"]["timestamp"]).timestamp()
                self.seen.append((stamped, received - stamped))


async def _serve(pipe: Connection, port: int, cookie: str, lists: list[list[str]]) -> None:
    watchers = [Watcher(port, cookie, feeds) for feeds in lists]
    readies = [asyncio.Event() for _ in watchers]
    tasks = [asyncio.create_task(w.watch(r)) for w, r in zip(watchers, readies, strict=True)]
    try:
        async with asyncio.timeout(60):
            await asyncio.gather(*(r.wait() for r in readies))
    except TimeoutError:
        failed = [repr(t.exception()) for t in tasks if t.done() and t.exception()]
        pipe.send({"failed": failed or ["no snapshot within 60 s"]})
        return
    pipe.send({"ready": len(watchers)})
    loop = asyncio.get_running_loop()
    while True:
        command = await loop.run_in_executor(None, pipe.recv)
        if command["command"] == "quit":
            break
        since = command["since"]
        failed = sum(1 for t in tasks if t.done())
        pipe.send(
            {
                "latencies": [[lat for stamped, lat in w.seen if stamped >= since] for w in watchers],
                "errors": f"{failed} watcher(s) lost their socket" if failed else "",
            }
        )
    for task in tasks:
        task.cancel()


def watchers_main(pipe: Connection, port: int, cookie: str, lists: list[list[str]]) -> None:
    asyncio.run(_serve(pipe, port, cookie, lists))
