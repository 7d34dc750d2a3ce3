"""Fast tier: every variant renders into a clean, parseable, lint-free project."""

from __future__ import annotations

import pytest

from tests.farm import RenderFarm
from tests.variants import FAST


@pytest.mark.parametrize("variant", [pytest.param(v, id=v.id) for v in FAST])
def test_variant_renders_clean(variant, render_farm: RenderFarm, record_property) -> None:
    result = render_farm.result(variant)
    record_property("tier", "fast")
    record_property("variant", variant.id)
    record_property("variant_seconds", round(result.seconds, 4))
    if result.problems:
        where = f" in {result.project}" if result.project else ""
        pytest.fail(f"{variant.id}{where}:\n" + "\n".join(result.problems), pytrace=False)
