"""The generated Kubernetes manifests: valid for the API (strict), and locked down."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.rendering import render
from tests.variants import choices

# The oldest and newest Kubernetes versions kubernetes-validate 1.37 knows.
KUBERNETES_VERSIONS = ("1.28.0", "1.37.0")


@pytest.fixture(scope="module", params=choices("storage_backend"))
def manifests(request, tmp_path_factory) -> Path:
    overrides = {"storage_backend": request.param, "recording": "egress_audio"}
    project = render(overrides, tmp_path_factory.mktemp(request.param) / "out")
    return project / "deploy" / "kubernetes"


def _resources(manifests: Path) -> list[Path]:
    return sorted(p for p in manifests.glob("*.yaml") if p.name != "kustomization.yaml")


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_manifests_pass_kubernetes_validate_strict(manifests, version) -> None:
    validate = shutil.which("kubernetes-validate", path=str(Path(sys.executable).parent))
    if validate is None:
        pytest.skip("kubernetes-validate is not installed (requirements-dev.txt)")
    done = subprocess.run(
        [validate, "--strict", "--quiet", "-k", version, *map(str, _resources(manifests))],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    listed = yaml.safe_load((manifests / "kustomization.yaml").read_text("utf-8"))["resources"]
    assert set(listed) <= {p.name for p in _resources(manifests)}


def test_pod_is_locked_down(manifests) -> None:
    deployment = yaml.safe_load((manifests / "deployment.yaml").read_text("utf-8"))
    pod = deployment["spec"]["template"]["spec"]
    assert pod["automountServiceAccountToken"] is False
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    (container,) = pod["containers"]
    context = container["securityContext"]
    assert context["readOnlyRootFilesystem"] is True
    assert context["allowPrivilegeEscalation"] is False
    assert context["capabilities"] == {"drop": ["ALL"]}
    assert context["seccompProfile"] == {"type": "RuntimeDefault"}
    # Everything the worker writes is a volume: its working directory, the spool and /tmp.
    volumes = {v["name"]: v for v in pod["volumes"]}
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    for path in ("/data", "/tmp", "/data/spool"):
        assert "emptyDir" in volumes[mounts[path]], path
    env = {e["name"]: e.get("value") for e in container["env"]}
    writable = [p for p, name in mounts.items() if not _read_only(container, name)]
    assert any(env["SPOOL_DIR"].startswith(p) for p in writable)
    if "LOCAL_STORAGE_DIR" in env:
        assert mounts["/data/store"] == "store"


def _read_only(container: dict, volume: str) -> bool:
    return any(m["name"] == volume and m.get("readOnly") for m in container["volumeMounts"])
