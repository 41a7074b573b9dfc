"""infra/terraform: parses, follows the module conventions, wires every module fully, passes checkov.

There is no terraform binary here, so `terraform validate` is approximated: python-hcl2 parses every file,
and the env roots are checked to pass every required input of each module and no unknown ones.
"""

import json
import subprocess
from pathlib import Path

import hcl2
import pytest

ROOT = Path(__file__).resolve().parents[2] / "infra" / "terraform"
MODULES = sorted(p for p in (ROOT / "modules").iterdir() if p.is_dir())
ENVS = sorted(p for p in (ROOT / "envs").iterdir() if p.is_dir())
CHECKOV = Path(__file__).resolve().parents[2] / ".venv-checkov" / "bin" / "checkov"


def _plain(value):
    """python-hcl2 keeps HCL quoting ('"name"') and block markers; strip both."""
    if isinstance(value, dict):
        return {_plain(k): _plain(v) for k, v in value.items() if k != "__is_block__"}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def parse_dir(folder: Path) -> dict[str, list]:
    merged: dict[str, list] = {}
    for tf in sorted(folder.glob("*.tf")):
        with tf.open() as f:
            for block, items in _plain(hcl2.load(f)).items():
                merged.setdefault(block, []).extend(items)
    return merged


def declared_variables(folder: Path) -> dict[str, dict]:
    return {name: spec for item in parse_dir(folder).get("variable", []) for name, spec in item.items()}


@pytest.mark.parametrize("module", MODULES, ids=lambda p: p.name)
def test_module_has_the_standard_files(module):
    for name in ("main.tf", "variables.tf", "outputs.tf", "versions.tf", "README.md"):
        assert (module / name).is_file(), f"{module.name} lacks {name}"


@pytest.mark.parametrize("folder", MODULES + ENVS, ids=lambda p: p.name)
def test_every_variable_and_output_is_typed_and_described(folder):
    for name, spec in declared_variables(folder).items():
        assert spec.get("type"), f"{folder.name}: variable {name} has no type"
        assert spec.get("description"), f"{folder.name}: variable {name} has no description"
    for item in parse_dir(folder).get("output", []):
        for name, spec in item.items():
            assert spec.get("description"), f"{folder.name}: output {name} has no description"


@pytest.mark.parametrize("env", ENVS, ids=lambda p: p.name)
def test_env_passes_every_required_input_and_no_unknown_one(env):
    calls = [call for item in parse_dir(env).get("module", []) for call in item.items()]
    assert calls, "an environment root composes modules"
    for name, args in calls:
        module_dir = (env / args["source"]).resolve()
        variables = declared_variables(module_dir)
        given = set(args) - {"source", "providers", "depends_on", "count", "for_each"}
        required = {v for v, spec in variables.items() if "default" not in spec}
        assert required <= given, f"module {name} misses {sorted(required - given)}"
        assert given <= set(variables), f"module {name} passes unknown {sorted(given - set(variables))}"


def test_nothing_is_open_to_the_world():
    for tf in ROOT.rglob("*.tf"):
        code = "\n".join(line.split("#", 1)[0] for line in tf.read_text().splitlines())
        assert "0.0.0.0/0" not in code and "::/0" not in code, tf


def test_checkov_finds_no_failed_check():
    assert CHECKOV.exists(), "scripts/setup-test.sh installs checkov into .venv-checkov"
    result = subprocess.run(
        [str(CHECKOV), "-d", str(ROOT), "--framework", "terraform", "--skip-download", "--quiet", "-o", "json"],
        capture_output=True, text=True, timeout=600,
    )
    report = json.loads(result.stdout)
    reports = report if isinstance(report, list) else [report]
    failed = [
        f"{c['check_id']} {c['resource']} ({c['file_path']})"
        for r in reports for c in r["results"]["failed_checks"]
    ]
    assert not failed, "checkov failed checks:\n" + "\n".join(failed)
    assert sum(r["summary"]["passed"] for r in reports) > 100
