"""Database calls from async test code."""

import asyncio
from collections.abc import Callable
from typing import Any

from django.db import connection


async def in_db_thread(function: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
    """Run an ORM call in a worker thread and give its connection back afterwards: threads that outlive the
    call would otherwise each keep a connection (with the PostgreSQL pool, until the pool runs dry)."""

    def call() -> Any:
        try:
            return function(*args, **kwargs)
        finally:
            connection.close()

    return await asyncio.to_thread(call)
