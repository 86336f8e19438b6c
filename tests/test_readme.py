"""The README is documentation users copy from: keep its generated parts true."""

from pathlib import Path

from genesys_compliance import Policy, builtin_registry
from genesys_compliance.reporting import replace_catalogue

README = Path(__file__).resolve().parents[1] / "README.md"


def test_rule_catalogue_matches_the_registry():
    text = README.read_text(encoding="utf-8")
    assert replace_catalogue(text, builtin_registry()) == text, (
        "README catalogue is stale: run `genesys-compliance rules --update README.md`"
    )


def test_every_policy_key_is_documented():
    text = README.read_text(encoding="utf-8")
    for name, field in Policy.model_fields.items():
        assert f"`{field.alias or name}`" in text, f"policy key {field.alias} missing from README"


def test_readme_starts_with_the_install_and_test_commands():
    blocks = README.read_text(encoding="utf-8").split("```bash\n")
    assert blocks[1].startswith(
        "python3 -m venv .venv && . .venv/bin/activate && "
        'pip install -c .ci/constraints.txt -e ".[test]"'
    )
    assert blocks[2].strip().startswith("pytest -n auto")
    ci = (README.parent / ".ci" / "run").read_text(encoding="utf-8")
    assert 'pip install --quiet -c .ci/constraints.txt -e ".[test]"' in ci
    assert "run_pytest -n auto\n" in ci


def test_the_lock_pins_every_dependency_inside_its_range():
    """A lock outside pyproject's ranges would test a combination no user can install."""
    import tomllib

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    root = README.parent
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    pins: dict[str, str] = {}
    for line in (root / ".ci" / "constraints.txt").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, _, pinned = line.partition("==")
            pins[canonicalize_name(name)] = pinned
    wanted = [*project["dependencies"], *project["optional-dependencies"]["test"]]
    for text in wanted:
        requirement = Requirement(text)
        pinned = pins.get(canonicalize_name(requirement.name))
        assert pinned is not None, f"{requirement.name} is not pinned in .ci/constraints.txt"
        assert requirement.specifier.contains(pinned, prereleases=True), (
            f"{requirement.name}=={pinned} is outside pyproject's {requirement.specifier}"
        )
