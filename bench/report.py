"""Rows of the one results table, and how it is printed."""

from __future__ import annotations

from dataclasses import dataclass

MET, MISSED, INFO, SKIPPED, FAILED = "met", "MISSED", "", "skipped", "FAILED"
# Over the goal, but no worse than the same measurement of a busy pure-Python thread.
AT_FLOOR = "MISSED, at floor"


@dataclass
class Row:
    section: str
    case: str
    result: str
    goal: str = ""
    verdict: str = INFO


def verdict(ok: bool) -> str:
    return MET if ok else MISSED


def table(rows: list[Row]) -> str:
    """A Markdown table (readable in a terminal, pasteable into docs)."""
    header = ("#", "measurement", "result", "goal", "verdict")
    cells = [header] + [(r.section, r.case, r.result, r.goal, r.verdict) for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]

    def line(row: tuple[str, ...]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(header), rule, *(line(row) for row in cells[1:])])
