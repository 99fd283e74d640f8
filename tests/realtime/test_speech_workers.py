"""Speech processes end with the server that started them, also when it is killed outright."""

import os
import signal
import subprocess
import sys
import time

import pytest

# A stand-in server: starts the speech pool as CallAnnouncements does, says its worker's pid, then
# waits to be killed.
PARENT = """
import multiprocessing, os, sys, time
from concurrent.futures import ProcessPoolExecutor
from server.realtime.announcing import exit_with_parent

if __name__ == "__main__":
    spawn = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(1, mp_context=spawn, initializer=exit_with_parent, initargs=(os.getpid(),))
    started = pool.submit(os.getpid)
    if sys.argv[1] == "starting":  # killed while its worker is still importing
        print(multiprocessing.active_children()[0].pid, flush=True)
    else:
        print(started.result(60), flush=True)
    time.sleep(600)
"""


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        return stat.read().split()[2] != "Z"  # a zombie has exited already


@pytest.mark.parametrize("when", ["working", "starting"])
def test_a_speech_worker_exits_when_its_server_is_killed(when: str) -> None:
    parent = subprocess.Popen([sys.executable, "-c", PARENT, when], stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None
        worker = int(parent.stdout.readline())
        assert alive(worker)
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=10)
        deadline = time.monotonic() + 15
        while alive(worker) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not alive(worker), "the speech worker outlived its server"
    finally:
        parent.kill()
