"""`make mutate`: mutmut over the domain's rules, use cases and DynamoDB adapter, judged by the fast tests only.

mutmut 3 names a mutant after its file's path with a leading `src/` dropped, while the tests import the package as
`loopgate`: so the run happens in `.mutmut/`, where `src` links to the layer's `python/` folder and the other files
the fast tests read are linked beside it. mutmut copies all of it into `.mutmut/mutants/` and mutates the copy; the
work tree is never written. Each run starts afresh, so a result never outlives the tests or code that produced it.

    python -m local.mutate                                  # policy/*, usecases/*, adapters/dynamo.py
    python -m local.mutate policy/authority.py usecases/links.py
    python -m local.mutate adapters/dynamo.py::CaseStore.answer_step   # one function's mutants only
"""
from __future__ import annotations

import argparse
import ast
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

from .template import ROOT

STAGE = ROOT / ".mutmut"
PACKAGE = "loopgate"
DEFAULT_MODULES = ["policy/*.py", "usecases/*.py", "adapters/dynamo.py"]
# What tests/unit reads besides the package: linked into the stage, copied by mutmut into mutants/.
BESIDE = ["tests", "local", "bench", "events", "eval", "statemachines", "functions", "docs", "template.yaml",
          "pyproject.toml", "README.md"]
# mutmut's exit-code verdicts (mutmut/stats.py), folded into the three that matter here.
VERDICT = {0: "survived", 1: "killed", 3: "killed", 36: "timeout", 24: "timeout", -24: "timeout", 152: "timeout",
           255: "timeout", 33: "no tests", 5: "no tests", None: "not run"}


def parse_targets(specs: list[str]) -> tuple[list[str], list[str]]:
    """`policy/authority.py` or `adapters/dynamo.py::CaseStore.put_task` -> mutmut's file globs and name globs."""
    files, names, whole = [], [], []
    for spec in specs:
        path, _, function = spec.partition("::")
        path = path.removeprefix(f"{PACKAGE}/")
        if f"src/{PACKAGE}/{path}" not in files:
            files.append(f"src/{PACKAGE}/{path}")
        module = f"{PACKAGE}.{path.removesuffix('.py').replace('/', '.')}"
        if function:
            owner, _, name = function.rpartition(".")
            mangled = f"x\u01c1{owner}\u01c1{name}" if owner else f"x_{name}"
            names.append(f"{module}.{mangled}__mutmut_*")
        else:
            whole.append(f"{module}.*")
    # Name filters select mutants to run: once one function is named, whole files must be named too.
    return files, names + whole if names else names


def stage(files: list[str]) -> None:
    shutil.rmtree(STAGE, ignore_errors=True)
    STAGE.mkdir()
    (STAGE / "src").symlink_to(ROOT / "layers" / "shared" / "python")
    for name in BESIDE:
        (STAGE / name).symlink_to(ROOT / name)
    # tests/conftest.py puts <root>/layers/shared/python first on sys.path; in the copy that must be the mutated code.
    layer = STAGE / "mutants" / "layers" / "shared" / "python"
    layer.parent.mkdir(parents=True)
    layer.symlink_to(Path("..", "..", "src"))
    lines = ["[mutmut]", "source_paths = src", "only_mutate ="]
    lines += [f"    {f}" for f in files]
    lines += ["also_copy ="] + [f"    {name}" for name in BESIDE if name not in ("tests", "pyproject.toml")]
    lines += ["pytest_add_cli_args_test_selection = tests/unit",
              "pytest_add_cli_args = -p no:cacheprovider",
              "use_git_change_detection = false"]
    (STAGE / "setup.cfg").write_text("\n".join(lines) + "\n", encoding="utf-8")


def results() -> dict[str, dict[str, int | None]]:
    """mutant name -> mutmut's exit code, per source file (relative to the stage)."""
    found = {}
    for meta in sorted((STAGE / "mutants" / "src").rglob("*.py.meta")):
        source = meta.relative_to(STAGE / "mutants").with_suffix("")
        found[str(source)] = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]
    return found


def _def_lines(source: Path) -> dict[tuple[str | None, str], int]:
    """(class, function) -> the line of its `def` in the real source."""
    tree = ast.parse(source.read_text(encoding="utf-8"))
    lines: dict[tuple[str | None, str], int] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            lines[(None, node.name)] = node.lineno
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                    lines[(node.name, item.name)] = item.lineno
    return lines


def describe(source: str, names: list[str]) -> list[tuple[int, str, str]]:
    """(line in the real file, original line, mutated line) for each mutant, from mutmut's copy of both functions."""
    import difflib

    import libcst as cst
    from mutmut.mutation.diff_apply import (
        read_functions_from_index,
        read_mutant_function,
        read_mutants_module,
        read_original_function,
    )
    from mutmut.utils.format_utils import orig_function_and_class_names_from_key

    defs = _def_lines(STAGE / source)
    module = None
    described = []
    for name in names:
        functions = read_functions_from_index(name, source)
        if functions is None:
            module = module or read_mutants_module(source)
            functions = (read_original_function(module, name), read_mutant_function(module, name))
        before, after = (cst.Module([f]).code.strip().split("\n") for f in functions)
        function, owner = orig_function_and_class_names_from_key(name)
        # Count from the `def` line, which is where ast numbers the function in the real file.
        first_def = next(i for i, line in enumerate(before) if re.match(r"\s*(async\s+)?def ", line))
        changed = [op for op in difflib.SequenceMatcher(a=before, b=after).get_opcodes() if op[0] != "equal"]
        _, b0, b1, a0, a1 = changed[0]
        line = defs.get((owner, function), 0) + b0 - first_def
        described.append((line, " / ".join(s.strip() for s in before[b0:b1]),
                          " / ".join(s.strip() for s in after[a0:a1])))
    return described


def report(found: dict[str, dict[str, int | None]], names: list[str]) -> int:
    import fnmatch

    counts: dict[str, Counter] = defaultdict(Counter)
    survivors: dict[str, list[str]] = defaultdict(list)
    for source, codes in found.items():
        for name, code in codes.items():
            if names and not any(fnmatch.fnmatch(name, pattern) for pattern in names):
                continue
            verdict = VERDICT.get(code, "suspicious")
            counts[source][verdict] += 1
            if verdict == "survived":
                survivors[source].append(name)
    columns = ["killed", "survived", "timeout", "no tests", "suspicious", "not run"]
    shown = [c for c in columns if c in ("killed", "survived", "timeout") or any(n[c] for n in counts.values())]
    width = max([len("module")] + [len(s) for s in counts]) - len("src/")
    print(f"\n{'module':<{width}}  " + "  ".join(f"{c:>10}" for c in shown))
    total: Counter = Counter()
    for source in sorted(counts):
        total.update(counts[source])
        print(f"{source.removeprefix('src/'):<{width}}  " + "  ".join(f"{counts[source][c]:>10}" for c in shown))
    print(f"{'total':<{width}}  " + "  ".join(f"{total[c]:>10}" for c in shown))

    cwd = os.getcwd()
    os.chdir(STAGE)  # mutmut reads its index of the mutated files relative to the stage
    try:
        for source in sorted(survivors):
            print(f"\nsurvived in {source.removeprefix('src/')}:")
            for line, before, after in sorted(describe(source, sorted(survivors[source]))):
                print(f"  {line:>4}  {before}\n        -> {after}")
    finally:
        os.chdir(cwd)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make mutate", description=__doc__.split("\n\n")[0])
    parser.add_argument("modules", nargs="*", help=f"paths under {PACKAGE}/ (globs), optionally ::Class.function")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--report-only", action="store_true", help="print the last run's results again")
    args = parser.parse_args(argv)
    files, names = parse_targets(args.modules or DEFAULT_MODULES)
    if args.report_only:
        return report(results(), names)
    stage(files)
    log = STAGE / "mutmut.log"
    print(f"mutmut over {' '.join(f.removeprefix('src/') for f in files)}"
          f"{' (' + ' '.join(names) + ')' if names else ''} with tests/unit, {args.jobs} workers; output in {log}")
    started = time.monotonic()
    with log.open("w", encoding="utf-8") as out:
        done = subprocess.run([sys.executable, "-m", "mutmut", "run", "--max-children", str(args.jobs), *names],
                              cwd=STAGE, stdout=out, stderr=subprocess.STDOUT, check=False)
    if done.returncode != 0:
        print(log.read_text(encoding="utf-8", errors="replace")[-4000:])
        print(f"mutmut failed (exit {done.returncode}); the whole output is in {log}")
        return done.returncode
    print(f"done in {time.monotonic() - started:.0f} s")
    return report(results(), names)


if __name__ == "__main__":
    sys.exit(main())
