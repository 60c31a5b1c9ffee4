"""Imports go one way: a package only imports packages above it in the data flow.

The order is inputs -> distance -> generators -> attacks -> measure -> edpb -> verdict -> audit ->
certificate -> cli (with the leaf modules and support/ at the top, usable by all). A module
that reaches back up the chain (an attack computing statistics, the pipeline rendering a
certificate) fails here, function-level imports included.
"""
from __future__ import annotations

import ast
from pathlib import Path

import synthcheck

PACKAGE = Path(synthcheck.__file__).parent

#: Layers in data-flow order; a module may import its own layer and those before it.
LAYERS = ["errors", "exitcodes", "support", "inputs", "distance", "generators", "attacks",
          "measure", "edpb", "verdict", "auditing", "certificate", "api", "cli"]


def _layer(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "synthcheck" or len(parts) == 1:
        return None  # the root package is the lazy public facade
    return parts[1]


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            if node.module == "synthcheck":
                found.extend((node.lineno, f"synthcheck.{alias.name}") for alias in node.names
                             if (PACKAGE / alias.name).is_dir() or (PACKAGE / f"{alias.name}.py").exists())
        elif isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
    return found


def test_every_module_belongs_to_a_layer():
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE)
        if relative.parts == ("__init__.py",):
            continue
        name = relative.parts[0].removesuffix(".py")
        assert name in LAYERS, f"{relative}: not in a layer of {LAYERS}"


def test_imports_only_go_down_the_data_flow():
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE)
        if relative.parts == ("__init__.py",):
            continue
        own = LAYERS.index(relative.parts[0].removesuffix(".py"))
        for line, module in _imports(path):
            layer = _layer(module)
            if layer is None or layer not in LAYERS:
                continue
            if LAYERS.index(layer) > own:
                wrong.append(f"synthcheck/{relative}:{line} imports {module}")
    assert not wrong, "imports that go up the data flow:\n" + "\n".join(wrong)
