"""Cold-start probe, "with": the generated agent (recording + transcripts).

Usage: coldstart_generated.py <project>/src <package>. Settings come from the
environment. Prints import and prewarm seconds, how much of the import was the
generated package itself (livekit and the plugins are imported first, as the agent
module would anyway), and how long prewarm's background thread (spool flush, then the
storage SDK and client) ran on after prewarm returned.
"""

import time

started = time.perf_counter()

import importlib  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
from types import SimpleNamespace  # noqa: E402

import livekit.agents  # noqa: E402, F401
from livekit.plugins import deepgram, openai, silero  # noqa: E402, F401

livekit_imported = time.perf_counter()
sys.path.insert(0, sys.argv[1])
agent = importlib.import_module(f"{sys.argv[2]}.agent")
imported = time.perf_counter()
agent.prewarm(SimpleNamespace(userdata={}))  # also starts the spool flush thread
done = time.perf_counter()  # a worker is ready for a job here
# The thread goes on: it flushes the spool, then loads the storage SDK and client.
for thread in threading.enumerate():
    if thread.name == "spool-flush":
        thread.join()
warmed = time.perf_counter()
store_module = f"{sys.argv[2]}.storage."
store_loaded = any(n.startswith(store_module) and n.endswith("_store") for n in sys.modules)
print(
    json.dumps(
        {
            "import": imported - started,
            "package": imported - livekit_imported,
            "prewarm": done - imported,
            "background": warmed - done,
            "store_loaded": store_loaded,
        }
    ),
    flush=True,
)
os._exit(0)  # as the quickstart probe: teardown is not part of a cold start
