"""Rules read from the source of the product, its benchmarks and its tests: commands run from argv
lists (never through a shell), and YAML is only ever loaded with the safe loader.

Both checkers resolve imports (`import subprocess as sp`, `from os import system`), and each has a
test that plants every forbidden form in a scratch module and proves the checker reports it."""

from __future__ import annotations

import ast
import functools
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TREES = ("kstellar_tui", "benchmarks", "tests")

SHELL_CALLS = {"os.system", "os.popen", "subprocess.getoutput", "subprocess.getstatusoutput",
               "asyncio.create_subprocess_shell"}
"""Calls that always hand a string to /bin/sh."""
ARGV_CALLS = {"subprocess.run", "subprocess.Popen", "subprocess.call", "subprocess.check_call",
              "subprocess.check_output", "pty.spawn"}
"""Calls that must get an argv list: a string here is a command line someone meant for a shell."""
UNSAFE_YAML = {"yaml.load", "yaml.load_all", "yaml.unsafe_load", "yaml.unsafe_load_all", "yaml.full_load",
               "yaml.full_load_all", "yaml.Loader", "yaml.FullLoader", "yaml.UnsafeLoader", "yaml.CLoader",
               "yaml.CFullLoader", "yaml.CUnsafeLoader"}
SAFE_LOADERS = {"yaml.SafeLoader", "yaml.CSafeLoader", "yaml.BaseLoader", "yaml.CBaseLoader"}


@functools.cache
def _parsed() -> list[tuple[str, ast.Module]]:
    """Every source file, parsed once for all the checks."""
    paths = sorted(p for tree in TREES for p in (ROOT / tree).rglob("*.py"))
    return [(str(p.relative_to(ROOT)), ast.parse(p.read_text(), filename=str(p))) for p in paths]


@functools.cache
def _nodes(tree: ast.Module) -> tuple[ast.AST, ...]:
    """The module's nodes, walked once for all the checks."""
    return tuple(ast.walk(tree))


class _Names:
    """What each local name stands for, from the module's imports (`sp` → `subprocess`)."""

    def __init__(self, tree: ast.Module):
        self.aliases: dict[str, str] = {}
        for node in _nodes(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    self.aliases[alias.asname or alias.name.split(".")[0]] = alias.name if alias.asname else \
                        alias.name.split(".")[0]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    self.aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"

    def qualified(self, node: ast.expr) -> str:
        """`sp.run` → `subprocess.run`; '' for what is not a dotted name."""
        if isinstance(node, ast.Name):
            return self.aliases.get(node.id, node.id)
        if isinstance(node, ast.Attribute):
            base = self.qualified(node.value)
            return f"{base}.{node.attr}" if base else ""
        return ""


def _stringy(node: ast.expr | None, strings: set[str]) -> bool:
    """A command line as one string: a literal, an f-string, `%`/`+` on one, `.format`, `" ".join`,
    `shlex.join`, or a name some assignment in the module gives such a value."""
    if node is None:
        return False
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mod, ast.Add)):
        return _stringy(node.left, strings) or _stringy(node.right, strings)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        if node.func.attr in {"format", "join"} and isinstance(node.func.value, ast.Constant):
            return isinstance(node.func.value.value, str)
        return node.func.attr == "join" and getattr(node.func.value, "id", "") == "shlex"
    return isinstance(node, ast.Name) and node.id in strings


def _string_names(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for _ in range(2):  # a name assigned from another such name
        for node in _nodes(tree):
            if isinstance(node, (ast.Assign, ast.AnnAssign)) and _stringy(node.value, names):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                names.update(t.id for t in targets if isinstance(t, ast.Name))
    return names


def shell_offences(tree: ast.Module, filename: str = "<planted>") -> Iterator[str]:
    """Each place the module runs a command through a shell, as `file:line what`."""
    names, strings = _Names(tree), _string_names(tree)
    for node in _nodes(tree):
        if not isinstance(node, ast.Call):
            continue
        called = names.qualified(node.func)
        where = f"{filename}:{node.lineno}"
        if called in SHELL_CALLS or getattr(node.func, "attr", "") == "subprocess_shell":  # loop.subprocess_shell
            yield f"{where} {called}"
        for kw in node.keywords:
            if kw.arg == "shell" and not (isinstance(kw.value, ast.Constant) and kw.value.value is False):
                yield f"{where} shell="
        if called in ARGV_CALLS:
            first = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "args"), None)
            if _stringy(first, strings):
                yield f"{where} {called} with a string command"


def _safe_loader(node: ast.expr | None, names: _Names, safe: frozenset[str] = frozenset()) -> bool:
    """`yaml.SafeLoader`, `getattr(yaml, "CSafeLoader", yaml.SafeLoader)` (the C loader when built),
    or a name in `safe` (the module only ever assigns it one of those)."""
    if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "getattr" and len(node.args) == 3:
        module, attribute, default = node.args
        return (names.qualified(module) == "yaml" and isinstance(attribute, ast.Constant)
                and f"yaml.{attribute.value}" in SAFE_LOADERS and _safe_loader(default, names))
    if isinstance(node, ast.Name) and node.id in safe:
        return True
    return node is not None and names.qualified(node) in SAFE_LOADERS


def _safe_loader_names(tree: ast.Module, names: _Names) -> frozenset[str]:
    assigned: dict[str, bool] = {}
    for node in _nodes(tree):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    assigned[target.id] = assigned.get(target.id, True) and _safe_loader(node.value, names)
    return frozenset(name for name, safe in assigned.items() if safe)


def yaml_offences(tree: ast.Module, filename: str = "<planted>") -> Iterator[str]:
    """Each place the module could build arbitrary Python objects from YAML."""
    names = _Names(tree)
    safe = _safe_loader_names(tree, names)
    unsafe = UNSAFE_YAML - {"yaml.load", "yaml.load_all"}  # these two are fine with a safe Loader
    for node in _nodes(tree):
        where = f"{filename}:{node.lineno}" if hasattr(node, "lineno") else filename
        if isinstance(node, ast.Call) and names.qualified(node.func) in {"yaml.load", "yaml.load_all"}:
            loader = next((k.value for k in node.keywords if k.arg == "Loader"),
                          node.args[1] if len(node.args) > 1 else None)
            if not _safe_loader(loader, names, safe):
                yield f"{where} {names.qualified(node.func)} without a safe Loader"
        elif isinstance(node, (ast.Name, ast.Attribute)) and names.qualified(node) in unsafe:
            yield f"{where} {names.qualified(node)}"
        elif isinstance(node, ast.ImportFrom) and node.module == "yaml":
            yield from (f"{where} imports yaml.{a.name}" for a in node.names if f"yaml.{a.name}" in unsafe)


def _scan(check: Callable[[ast.Module, str], Iterator[str]]) -> list[str]:
    return [offence for name, tree in _parsed() for offence in check(tree, name)]


def test_no_command_runs_through_a_shell() -> None:
    assert _scan(shell_offences) == []


def test_yaml_is_only_loaded_safely() -> None:
    assert _scan(yaml_offences) == []


PLANTED_SHELL = '''\
import os, subprocess, asyncio, pty
import subprocess as sp
from os import system as run_it
from subprocess import check_output, getoutput
from asyncio import create_subprocess_shell
cmd = "kubectl get pods"
line = cmd + " -A"
os.system("ls")
os.popen("ls")
run_it("ls")
subprocess.getstatusoutput("ls")
getoutput("ls")
subprocess.run(["ls"], shell=True)
subprocess.run("ls")
sp.Popen(f"ls {cmd}")
subprocess.call("ls %s" % cmd)
check_output(line)
subprocess.check_call(args=" ".join(["ls", "-l"]))
subprocess.run("{} -l".format("ls"))
pty.spawn("bash -c ls")
create_subprocess_shell("ls")
asyncio.get_event_loop().subprocess_shell(None, "ls")
subprocess.run(["ls"], shell=use_shell)
'''
GOOD_SHELL = '''\
import subprocess, pty, asyncio
subprocess.run(["ls", "-l"], check=True, shell=False)
subprocess.Popen([exe, *args])
pty.spawn(["bash"])
asyncio.create_subprocess_exec("kubectl", "get", "pods")
text = "not a command"
'''


def test_the_shell_checker_catches_every_planted_form() -> None:
    found = list(shell_offences(ast.parse(PLANTED_SHELL)))
    lines = sorted({int(o.split(":")[1].split()[0]) for o in found})
    assert lines == list(range(8, PLANTED_SHELL.count("\n") + 1)), found
    assert list(shell_offences(ast.parse(GOOD_SHELL))) == []


PLANTED_YAML = '''\
import yaml
import yaml as y
from yaml import load, unsafe_load, FullLoader
yaml.load(text)
y.load(text, Loader=y.Loader)
load(text, FullLoader)
unsafe_load(text)
yaml.full_load_all(text)
yaml.load_all(text, Loader=yaml.UnsafeLoader)
loader = yaml.CLoader
yaml.load(text, Loader=getattr(yaml, "CLoader", yaml.SafeLoader))
MIXED = yaml.SafeLoader if fast else yaml.FullLoader
yaml.load(text, Loader=MIXED)
'''
GOOD_YAML = '''\
import yaml
yaml.safe_load(text)
list(yaml.safe_load_all(text))
yaml.load(text, Loader=yaml.CSafeLoader)
yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
FAST = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
yaml.load(text, Loader=FAST)
loader = yaml.SafeLoader(text)
'''


def test_the_yaml_checker_catches_every_planted_form() -> None:
    found = list(yaml_offences(ast.parse(PLANTED_YAML)))
    lines = sorted({int(o.split(":")[1].split()[0]) for o in found})
    assert lines == list(range(3, PLANTED_YAML.count("\n") + 1)), found
    assert list(yaml_offences(ast.parse(GOOD_YAML))) == []
