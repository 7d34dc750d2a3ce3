"""Remove the files for options the user did not choose.

``KEEP_IF`` maps each conditional path (relative to the project, ``{pkg}`` is the
package name) to the condition under which it stays. Tests import these functions.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

Answers = dict


def _backend(name: str) -> Callable[[Answers], bool]:
    return lambda a: a["storage_backend"] == name


def _egress(a: Answers) -> bool:
    return a["recording"] in ("egress_audio", "egress_video")


KEEP_IF: dict[str, Callable[[Answers], bool]] = {
    "src/{pkg}/storage/local.py": _backend("local"),
    "src/{pkg}/storage/local_store.py": _backend("local"),
    "src/{pkg}/storage/s3.py": _backend("s3"),
    "src/{pkg}/storage/s3_store.py": _backend("s3"),
    "src/{pkg}/storage/gcs.py": _backend("gcs"),
    "src/{pkg}/storage/gcs_store.py": _backend("gcs"),
    "src/{pkg}/storage/azure.py": _backend("azure"),
    "src/{pkg}/storage/azure_store.py": _backend("azure"),
    "tests/local_server.py": _backend("local"),
    "tests/s3_server.py": _backend("s3"),
    "tests/gcs_server.py": _backend("gcs"),
    "tests/azure_server.py": _backend("azure"),
    "tests/test_storage_local.py": _backend("local"),
    "tests/test_storage_s3.py": _backend("s3"),
    "tests/test_storage_gcs.py": _backend("gcs"),
    "tests/test_storage_azure.py": _backend("azure"),
    "deploy/kubernetes/store-pvc.yaml": _backend("local"),
    "src/{pkg}/transcript/redaction.py": lambda a: a["transcript_redaction"] == "pii",
    "tests/test_redaction.py": lambda a: a["transcript_redaction"] == "pii",
    "tests/test_redaction_storage.py": lambda a: a["transcript_redaction"] == "pii",
    "src/{pkg}/recording": lambda a: a["recording"] != "none",
    "src/{pkg}/recording/agent_audio.py": lambda a: a["recording"] == "agent_audio",
    "tests/test_agent_audio.py": lambda a: a["recording"] == "agent_audio",
    "tests/test_browse_ranges.py": lambda a: a["recording"] != "none",
    "src/{pkg}/recording/egress.py": _egress,
    "src/{pkg}/recording/egress_output.py": _egress,
    "src/{pkg}/recording/cli.py": _egress,
    "tests/twirp_server.py": _egress,
    # a local folder has no network to break
    "tests/fault_proxy.py": lambda a: a["storage_backend"] != "local",
    "tests/test_storage_faults.py": lambda a: a["storage_backend"] != "local",
    "tests/test_egress.py": _egress,
}


def paths_to_remove(answers: Answers) -> list[str]:
    """Relative paths the chosen answers do not use."""
    pkg = answers["package_name"]
    return [path.format(pkg=pkg) for path, keep in KEEP_IF.items() if not keep(answers)]


def remove_unselected(project_dir: Path, answers: Answers) -> None:
    for relative in paths_to_remove(answers):
        target = project_dir / relative
        if target.is_dir():
            shutil.rmtree(target)
        else:
            target.unlink(missing_ok=True)


def next_steps(project_dir: Path, answers: Answers, started_in: str | None) -> list[str]:
    """What to run next, with the folder as seen from where the user started the render."""
    where = str(project_dir)
    if started_in:
        relative = os.path.relpath(project_dir, started_in)
        where = relative if not relative.startswith("..") else where
    return [
        f"Created {where}. Next (see its README for the settings in .env.local):",
        f"  cd {shlex.quote(where)} && uv sync",
        f"  uv run python -m {answers['package_name']} check",
    ]


if __name__ == "__main__":
    # cookiecutter renders the answers into this file; copier's task passes them as JSON.
    if len(sys.argv) > 1:
        ANSWERS = json.loads(sys.argv[1])
    else:
        ANSWERS = json.loads(r'''{{ cookiecutter | tojson }}''')  # fmt: skip
    remove_unselected(Path.cwd(), ANSWERS)
    # PWD is the shell's directory (a hook's cwd is the new project).
    print("\n".join(next_steps(Path.cwd(), ANSWERS, os.environ.get("PWD"))))
