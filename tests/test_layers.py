"""The house's layers (issue 14, newcomer): `accounts` is the base every app builds on, so it
imports none of them; the demo data, which knows every app, sits above them all
(csm_portal/demo, docs/decisions.md)."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HIGHER_APPS = ("contracts", "activities", "tickets", "onboarding", "csm_portal.demo")


def imported_modules(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def test_accounts_imports_no_higher_app():
    """No module of accounts/ (migrations included, functions' local imports included) imports
    contracts, activities, tickets, onboarding or the demo data."""
    offenders = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in sorted((ROOT / "accounts").rglob("*.py"))
        for line, module in imported_modules(path)
        if module in HIGHER_APPS or module.startswith(tuple(f"{app}." for app in HIGHER_APPS))
    ]
    assert not offenders, "\n".join(offenders)


def test_the_layer_check_sees_an_import_of_a_higher_app(tmp_path):
    """The check is real: a function-local `from contracts import services` is found."""
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from contracts import services\n    import tickets.models\n")
    assert imported_modules(module) == [(2, "contracts"), (3, "tickets.models")]
