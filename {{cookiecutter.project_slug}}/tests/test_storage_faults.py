"""Bad storage: a fault-injecting proxy (tests/fault_proxy.py) between us and the real server.

The emulator itself stays healthy; the proxy corrupts, stalls, trickles, throttles, resets
or cuts the traffic. Whatever it does, an upload either is stored byte for byte (and only
then leaves the spool) or stays in the spool, unlocked, by its deadline.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

import storage_server
from fault_proxy import FaultProxy
from {{ cookiecutter.package_name }}.settings import Settings
from {{ cookiecutter.package_name }}.storage import locks, open_store
from {{ cookiecutter.package_name }}.storage.spool import Spool, flush, save

MiB = 1024 * 1024
KEY = "prod/recordings/2026/11/18/support_desk/AJ_1.0a1b2c3d/recording.ogg"


@pytest.fixture
def proxy(storage_service):
    proxy = FaultProxy(storage_service.port)
    yield proxy
    proxy.close()


@pytest.fixture
def spool(settings) -> Spool:
    return Spool(settings.spool_dir)


@pytest.fixture
def store(settings):
    """The store straight to the server, to see what it really holds."""
    return open_store(settings.storage)


@pytest.fixture
def proxied_env(storage_service, storage_env, proxy, settings) -> dict[str, str]:
    """The storage settings with the endpoint behind the proxy."""
    server, through = f"127.0.0.1:{storage_service.port}", f"127.0.0.1:{proxy.port}"
    env = {name: value.replace(server, through) for name, value in storage_env.items()}
    assert env != storage_env
    return env


@pytest.fixture
def proxied_store(proxied_env, settings):
    """The store the agent uses, its endpoint behind the proxy."""
    env = proxied_env | {"SPOOL_DIR": str(settings.spool_dir), "UPLOAD_TIMEOUT": "20"}
    return open_store(Settings.from_env(env).storage)


def stored_objects(store) -> dict[str, bytes]:
    return {key: store.read_bytes(key) for key in store.list_keys()}


def assert_unlocked(spool: Spool, key: str) -> None:
    with open(spool.path(key), "rb") as handle:
        assert locks.lock(handle.fileno(), wait=False), f"{key} is still locked"
        locks.unlock(handle.fileno())


@pytest.mark.parametrize("size", [MiB, 12 * MiB], ids=["single-request", "in-parts"])
async def test_a_corrupted_upload_is_never_taken_as_saved(size, proxy, proxied_store, store, spool):
    data = os.urandom(size)
    spool.write(KEY, data)

    with proxy.faulty("corrupt", at=MiB // 2):
        result = await save(proxied_store, spool, KEY, timeout=30)

    assert proxy.corrupted >= 1, "the proxy must have changed a byte"
    assert not result.ok, "a corrupted upload was taken as verified"
    assert spool.path(KEY).read_bytes() == data
    assert all(stored == data for stored in stored_objects(store).values()), (
        "a corrupt object was left in storage"
    )

    [flushed] = flush(proxied_store, spool)

    assert flushed.ok, flushed.error
    assert list(stored_objects(store).values()) == [data]
    assert spool.pending() == []


HANGS = {
    "stall": {},  # the server reads the request and never answers
    "trickle": {"interval": 0.5},  # the answer comes one byte every 0.5 s
    "throttle": {"rate": 64 * 1024},  # the request goes at 64 KiB/s (2 MiB: 32 s)
}


@pytest.mark.parametrize("fault", HANGS)
async def test_hung_storage_is_abandoned_at_the_deadline_and_the_file_unlocked(
    fault, proxy, proxied_store, store, spool
):
    data = os.urandom(2 * MiB)
    spool.write(KEY, data)
    deadline = 3.0

    with proxy.faulty(fault, **HANGS[fault]):
        started = time.monotonic()
        result = await save(proxied_store, spool, KEY, timeout=deadline)
        took = time.monotonic() - started
        assert_unlocked(spool, KEY)  # while the abandoned transfer may still hang

    assert not result.ok
    assert "timed out after 3s" in result.error
    # generous: a loaded CI machine is slow, a hang is for ever (the fault lasts 30 s+)
    assert took < deadline + 5, f"{fault}: the save took {took:.1f}s"
    assert spool.path(KEY).read_bytes() == data
    print(f"{fault}: save returned after {took:.2f}s (deadline {deadline:g}s)")

    [flushed] = flush(proxied_store, spool)
    assert flushed.ok, flushed.error
    assert list(stored_objects(store).values()) == [data]


ABANDONING_PROCESS = """
import sys
from {{ cookiecutter.package_name }}.settings import Settings
from {{ cookiecutter.package_name }}.storage import open_store
from {{ cookiecutter.package_name }}.storage.spool import Spool, upload_from_spool

settings = Settings.from_env()
store, spool = open_store(settings.storage), Spool(settings.spool_dir)
print(upload_from_spool(store, spool, sys.argv[1], timeout=2).error)
"""


def test_a_process_whose_upload_was_abandoned_exits_at_once(proxy, proxied_env, spool, tmp_path):
    spool.write(KEY, os.urandom(12 * MiB))  # in parts: no SDK thread pool may outlive it
    env = storage_server.cli_env(proxied_env, spool.root)

    with proxy.faulty("trickle", interval=0.5):
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-c", ABANDONING_PROCESS, KEY],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
        took = time.monotonic() - started

    assert done.returncode == 0, done.stderr
    assert "timed out after 2s" in done.stdout
    # start-up and the SDK import included; a process held by a pool ran 120 s and more
    assert took < 2 + 20, f"the process exited {took:.1f}s after starting (deadline 2s)"
    print(f"abandoning process exited after {took:.2f}s")


def test_flush_has_a_wall_clock_deadline(proxy, proxied_store, spool):
    keys = [KEY.replace("recording.ogg", f"recording{n}.ogg") for n in range(4)]
    for key in keys:
        spool.write(key, os.urandom(64 * 1024))

    with proxy.faulty("trickle", interval=0.5):
        started = time.monotonic()
        results = flush(proxied_store, spool, timeout=2, deadline=5)
        took = time.monotonic() - started

    assert took < 5 + 5, f"flush took {took:.1f}s"
    assert [r.ok for r in results] == [False] * 4
    assert sorted(spool.pending()) == sorted(keys)


@pytest.mark.parametrize("fault", ["reset", "drop"])
async def test_a_cut_connection_leaves_no_partial_object(fault, proxy, proxied_store, store, spool):
    data = os.urandom(3 * MiB)
    spool.write(KEY, data)

    with proxy.faulty(fault, after=MiB):
        result = await save(proxied_store, spool, KEY, timeout=10)

    assert not result.ok
    assert stored_objects(store) == {}
    [flushed] = flush(proxied_store, spool)
    assert flushed.ok, flushed.error
    assert stored_objects(store) == {KEY: data}
