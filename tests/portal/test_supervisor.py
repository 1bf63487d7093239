"""The supervisor of `make run` reads the Procfile as honcho does and keeps restarting what dies, with a backoff."""

import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from portal.launcher import processes_chosen
from portal.supervisor import ProcessSpec, procfile_read
from tests.conftest import BASE_DIR


def test_the_procfile_is_read_with_its_variables_from_the_environment(tmp_path: Path) -> None:
    procfile = tmp_path / "Procfile"
    procfile.write_text(
        textwrap.dedent(
            """\
            # the processes
            web: daphne --bind $HOST --port ${PORT} --name "two words" $UNSET

            worker: celery --app portal worker
            not a process line
            """
        )
    )
    assert procfile_read(path=procfile, env={"HOST": "192.0.2.1", "PORT": "8001"}) == [
        ProcessSpec("web", ("daphne", "--bind", "192.0.2.1", "--port", "8001", "--name", "two words", "$UNSET")),
        ProcessSpec("worker", ("celery", "--app", "portal", "worker")),
    ]


def test_a_second_node_starts_only_the_processes_it_names_and_a_wrong_name_is_said() -> None:
    specs = procfile_read(path=BASE_DIR / "Procfile", env={})
    assert [spec.name for spec in processes_chosen(specs=specs, env={"PROCESSES": "web, worker"})] == ["web", "worker"]
    assert processes_chosen(specs=specs, env={}) == specs
    with pytest.raises(SystemExit, match="bet"):
        processes_chosen(specs=specs, env={"PROCESSES": "web,bet"})


def test_the_project_procfile_names_daphne_worker_beat_and_the_ftp_server() -> None:
    specs = procfile_read(path=BASE_DIR / "Procfile", env={"HOST": "127.0.0.1", "PORT": "8000"})
    assert [spec.name for spec in specs] == ["web", "worker", "beat", "ftp"]
    assert "daphne" in " ".join(specs[0].argv)
    assert "8000" in specs[0].argv


SUPERVISE = """
import sys
from pathlib import Path

import pytest
from portal.supervisor import ProcessSpec, Supervisor
specs = [
    ProcessSpec("crasher", (sys.executable, "-c", "print('crashing', flush=True); raise SystemExit(3)")),
    ProcessSpec("missing", ("/nonexistent/command",)),
    ProcessSpec("steady", (sys.executable, "-c", "import time; print('up', flush=True); time.sleep(60)")),
]
sys.exit(Supervisor(specs=specs, env={}, cwd=Path.cwd()).run())
"""


def test_a_process_that_keeps_dying_is_restarted_with_a_growing_delay_and_the_others_keep_running() -> None:
    supervisor = subprocess.Popen(
        [sys.executable, "-c", SUPERVISE], cwd=BASE_DIR, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    time.sleep(2.5)  # crasher: starts, dies, 0.5 s, starts, dies, 1 s, starts, dies, 2 s ...
    supervisor.send_signal(signal.SIGTERM)
    output, _ = supervisor.communicate(timeout=20)
    text = output.decode()
    assert supervisor.returncode == 0, text
    assert "crasher  | crashing" in text
    assert "launcher | crasher died (exit code 3)" in text
    assert "restart in 0.5 s" in text
    assert "restart in 1 s" in text
    assert "launcher | missing could not start" in text
    assert text.count("steady started") == 1
    assert "steady   | up" in text
    assert text.rstrip().endswith("launcher | stopped")
