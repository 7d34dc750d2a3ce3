"""The variant manifest is sound: real keys, valid answers, full and pairwise coverage."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys

import pytest

from tests import variants
from tests.variants import (
    ALL,
    CODE_OPTIONS,
    COOKIECUTTER_JSON,
    FAST,
    PAIRWISE_OPTIONS,
    PRE_GEN,
    ROOT,
    SLOW,
)


@pytest.mark.parametrize("variant", [pytest.param(v, id=f"{v.tier}-{v.id}") for v in ALL])
def test_override_keys_exist_in_cookiecutter_json(variant) -> None:
    # cookiecutter silently ignores an unknown key: a typo would test the defaults.
    unknown = set(variant.overrides) - {k for k in COOKIECUTTER_JSON if not k.startswith("_")}
    assert not unknown


@pytest.mark.parametrize("variant", [pytest.param(v, id=f"{v.tier}-{v.id}") for v in ALL])
def test_every_variant_is_accepted_by_the_hooks(variant) -> None:
    assert PRE_GEN.problems(dict(variant.answers)) == []


def test_hook_choices_match_cookiecutter_json() -> None:
    for option, allowed in PRE_GEN.CHOICES.items():
        assert list(allowed) == COOKIECUTTER_JSON[option], option
    listed = {
        k for k, v in COOKIECUTTER_JSON.items() if isinstance(v, list) and not k.startswith("_")
    }
    assert listed == set(PRE_GEN.CHOICES)


def test_variant_ids_are_unique_per_tier() -> None:
    for tier in ("fast", "slow"):
        ids = [v.id for v in ALL if v.tier == tier]
        assert len(ids) == len(set(ids)), tier


def test_fast_tier_has_every_valid_code_combination() -> None:
    product = [
        dict(zip(CODE_OPTIONS, values, strict=True))
        for values in itertools.product(*(COOKIECUTTER_JSON[o] for o in CODE_OPTIONS))
    ]
    valid = [c for c in product if variants.is_valid(c)]
    refused = [c for c in product if not variants.is_valid(c)]
    # Exactly the unsupported combination is dropped: pii with any recording but none.
    assert all(c["transcript_redaction"] == "pii" and c["recording"] != "none" for c in refused)
    assert len(refused) == 4 * 6 * 3
    fast_combos = [
        {o: v.answers[o] for o in CODE_OPTIONS}
        for v in FAST
        if not set(v.overrides) - set(CODE_OPTIONS)
    ]
    assert sorted(map(json.dumps, fast_combos)) == sorted(map(json.dumps, valid))


def test_fast_tier_varies_each_metadata_option_alone() -> None:
    for option, values in variants.METADATA_VALUES.items():
        for value in values.values():
            assert any(dict(v.overrides) == {option: value} for v in FAST), (option, value)


def test_slow_tier_covers_every_valid_pair_and_the_defaults() -> None:
    defaults = {o: COOKIECUTTER_JSON[o][0] for o in PAIRWISE_OPTIONS}
    slow_rows = [{o: v.answers[o] for o in PAIRWISE_OPTIONS} for v in SLOW]
    assert defaults in slow_rows
    full = [
        dict(zip(PAIRWISE_OPTIONS, values, strict=True))
        for values in itertools.product(*(COOKIECUTTER_JSON[o] for o in PAIRWISE_OPTIONS))
    ]
    valid = [c for c in full if variants.is_valid(c)]
    for a, b in itertools.combinations(PAIRWISE_OPTIONS, 2):
        wanted = {(c[a], c[b]) for c in valid}
        covered = {(row[a], row[b]) for row in slow_rows}
        assert wanted <= covered, (a, b, sorted(wanted - covered))


def test_slow_groups_partition_the_slow_tier() -> None:
    groups = variants.slow_groups()
    assert {v.group for v in SLOW} == set(groups)


def test_manifest_prints_json_for_ci() -> None:
    def run(flag: str):
        result = subprocess.run(
            [sys.executable, "-m", "tests.variants", flag],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        return json.loads(result.stdout)

    assert run("--json") == [v.as_json() for v in ALL]
    assert run("--groups") == variants.slow_groups()


def test_every_render_and_suite_test_belongs_to_a_work_unit() -> None:
    # conftest's scheduler finds units by test name: a renamed test would lose its unit.
    from tests import test_projects, test_render
    from tests.conftest import work_units

    units = work_units()
    for module, function, tier in (
        (test_render, "test_variant_renders_clean", FAST),
        (test_projects, "test_generated_suite_passes", SLOW),
    ):
        assert callable(getattr(module, function))
        assert {f"{function}[{v.id}]" for v in tier} <= set(units)
    shards = {units[f"test_variant_renders_clean[{v.id}]"] for v in FAST}
    assert 1 < len(shards) < len(FAST)


def test_a_variant_with_a_misspelled_key_stops_the_manifest() -> None:
    with pytest.raises(KeyError, match="storage_backnd"):
        variants.Variant("typo", {"storage_backnd": "s3"}, "fast")


def test_render_refuses_a_key_cookiecutter_would_ignore(tmp_path) -> None:
    from tests.rendering import render

    with pytest.raises(KeyError, match="storage_backnd"):
        render({"storage_backnd": "s3"}, tmp_path / "out")
    assert not (tmp_path / "out").exists()
