"""Render fast-tier variants in shards and check each render once.

conftest keeps each shard on one xdist worker, which renders all its variants and
runs ruff once over all of them; each variant's test then reads its own result.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from tests import checks
from tests.rendering import render
from tests.variants import FAST, Variant

SHARD_SIZE = 8
SHARD_COUNT = max(1, -(-len(FAST) // SHARD_SIZE))
_SHARD_OF = {v.id: f"fast-shard-{i % SHARD_COUNT}" for i, v in enumerate(FAST)}


def shard_of(variant: Variant) -> str:
    return _SHARD_OF[variant.id]


@dataclass
class RenderResult:
    variant: Variant
    project: Path | None
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0


def check_render(variant: Variant, output_dir: Path) -> RenderResult:
    """Render one variant and run every check but ruff on it."""
    started = time.perf_counter()
    try:
        project = render(variant.overrides, output_dir)
    except Exception as error:  # any failure to render is this variant's finding
        message = f"render failed: {type(error).__name__}: {error}"
        return RenderResult(variant, None, [message], time.perf_counter() - started)
    answers = variant.answers
    problems = []
    if project.name != answers["project_slug"]:
        problems.append(f"project folder is {project.name!r}, slug {answers['project_slug']!r}")
    stray = sorted(p.name for p in output_dir.iterdir() if p != project)
    if stray:
        problems.append(f"left beside the project in the output folder: {stray}")
    problems += checks.file_layout(project, answers)
    if not variant.literal_text:
        problems += checks.leftover_template_syntax(project)
    problems += checks.parse_all(project, answers)
    return RenderResult(variant, project, problems, time.perf_counter() - started)


class RenderFarm:
    def __init__(self, base: Path) -> None:
        self.base = base
        self._results: dict[str, RenderResult] = {}

    def result(self, variant: Variant) -> RenderResult:
        if variant.id not in self._results:
            self._run_shard(shard_of(variant))
        return self._results[variant.id]

    def _run_shard(self, shard: str) -> None:
        shard_dir = self.base / shard
        results = [check_render(v, shard_dir / v.id) for v in FAST if shard_of(v) == shard]
        started = time.perf_counter()
        rendered = [r.project for r in results if r.project is not None]
        ruff = checks.run_ruff(rendered, cwd=shard_dir)
        share = (time.perf_counter() - started) / max(1, len(rendered))
        for result in results:
            if result.project is not None:
                result.problems += ruff[result.project]
                result.seconds += share
            self._results[result.variant.id] = result
