"""Measure the test suite by sampling mutants of intern's pure-Python modules.

    python tests/mutants.py [--sample N] [--seed S] [--module NAME ...] [--timeout SEC]
                            [--workers W] [--json FILE] [--list]

A mutant is one small change to one module: a comparison or an operator swapped,
``and`` for ``or``, a ``not`` dropped, a constant moved, ``return None`` for a
value, a statement replaced by ``pass``. Each is written into a fresh copy of
``src/intern`` in a temporary directory, never into the real files, and the tests
of its module run against that copy with the pure-Python implementation forced. A
mutant the tests fail on (or hang on, past the timeout) is killed; one that its
module's tests pass is run against the whole suite, and if that passes too it
survives and is printed as a diff, for a person to judge: equivalent (it changes
no behaviour), or a gap in the tests.

The sample is spread over the modules in proportion to their mutants, at least
three each. The same seed, sample size and modules give the same mutants, and the
seed is printed so that a run can be repeated. The exit status is 0 whatever the
score, since this is a measurement; it is 1 only if the unmutated copy fails.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import difflib
import importlib.util
import itertools
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "intern"
TESTS = ROOT / "tests"

# The test files that exercise each module, as globs under tests/; a module not
# named here gets the whole suite. A mutant that survives these still has to
# survive the whole suite, so a file missing here costs time, not accuracy.
TESTS_FOR: dict[str, tuple[str, ...]] = {
    "__main__.py": ("test_cli.py",),
    "_bench.py": ("test_cli_bench.py",),
    "_cache.py": ("test_weak_cache*.py",),
    "_checks.py": ("test_make.py", "test_interner.py", "test_handle.py", "test_hostile.py"),
    "_cleanup.py": ("test_cleanup.py",),
    "_cli.py": ("test_cli*.py",),
    "_deep.py": ("test_make_deep.py", "test_pool.py"),
    "_pure.py": (
        "test_make.py",
        "test_handle.py",
        "test_interner.py",
        "test_reclaim.py",
        "test_hostile.py",
        "test_threads.py",
        "test_state_machine.py",
    ),
    "_scan.py": ("test_cli*.py",),
    "_text.py": ("test_cli*.py",),
}

PER_MODULE = 3  # the fewest mutants a module gets, if it has that many
MEMORY_LIMIT = 4 << 30  # bytes of address space for a test run: a runaway mutant fails fast

# Runs pytest under the memory limit, where the platform has one.
PYTEST = f"""\
import sys
try:
    import resource
except ImportError:
    pass
else:
    resource.setrlimit(resource.RLIMIT_AS, ({MEMORY_LIMIT}, {MEMORY_LIMIT}))
import pytest
sys.exit(pytest.main())
"""

COMPARISONS: dict[type[ast.cmpop], tuple[str, str, str]] = {
    # operator: (pattern of its token, its text, the text it becomes)
    ast.Lt: ("<", "<", "<="),
    ast.LtE: ("<=", "<=", "<"),
    ast.Gt: (">", ">", ">="),
    ast.GtE: (">=", ">=", ">"),
    ast.Eq: ("==", "==", "!="),
    ast.NotEq: ("!=", "!=", "=="),
    ast.Is: ("is", "is", "is not"),
    ast.IsNot: (r"is\s+not", "is not", "is"),
    ast.In: ("in", "in", "not in"),
    ast.NotIn: (r"not\s+in", "not in", "in"),
}

ARITHMETIC: dict[type[ast.operator], tuple[str, str]] = {
    ast.Add: ("+", "-"),
    ast.Sub: ("-", "+"),
    ast.Mult: ("*", "//"),
    ast.FloorDiv: ("//", "*"),
    ast.Div: ("/", "*"),
    ast.Mod: ("%", "//"),
    ast.Pow: ("**", "*"),
    ast.LShift: ("<<", ">>"),
    ast.RShift: (">>", "<<"),
    ast.BitOr: ("|", "&"),
    ast.BitAnd: ("&", "|"),
    ast.BitXor: ("^", "|"),
}


@dataclass(frozen=True, order=True)
class Mutant:
    """One change to one module: bytes ``start:end`` of its source become ``replacement``."""

    module: str
    start: int
    end: int
    replacement: str
    line: int
    operator: str

    def apply(self, source: bytes) -> bytes:
        return source[: self.start] + self.replacement.encode() + source[self.end :]

    def diff(self, source: bytes) -> str:
        name = f"src/intern/{self.module}"
        return "".join(
            difflib.unified_diff(
                source.decode().splitlines(keepends=True),
                self.apply(source).decode().splitlines(keepends=True),
                f"a/{name}",
                f"b/{name}",
                n=2,
            )
        )

    def __str__(self) -> str:
        return f"{self.module}:{self.line} {self.operator}"


class _MutantFinder(ast.NodeVisitor):
    """Collect the mutants of one module, leaving out what only typing or import sees.

    Annotations, ``if TYPE_CHECKING:`` blocks, docstrings and ``__all__`` are never
    mutated. At module and class level, where code runs once at import, only
    expression statements are deleted: deleting a definition or an import only
    breaks the import.
    """

    def __init__(self, module: str, source: bytes) -> None:
        self.module = module
        self.source = source
        self.line_starts = list(
            itertools.accumulate(
                (len(line) for line in source.splitlines(keepends=True)), initial=0
            )
        )
        self.in_function = False
        self.mutants: list[Mutant] = []

    def offset(self, line: int, column: int) -> int:
        return self.line_starts[line - 1] + column  # ast columns count UTF-8 bytes

    def span(self, node: ast.expr | ast.stmt) -> tuple[int, int]:
        assert node.end_lineno is not None
        assert node.end_col_offset is not None
        return self.offset(node.lineno, node.col_offset), self.offset(
            node.end_lineno, node.end_col_offset
        )

    def text(self, start: int, end: int) -> str:
        return self.source[start:end].decode()

    def add(self, start: int, end: int, replacement: str, operator: str) -> None:
        line = self.source.count(b"\n", 0, start) + 1
        self.mutants.append(Mutant(self.module, start, end, replacement, line, operator))

    def swap_token(self, start: int, end: int, pattern: str, replacement: str, what: str) -> None:
        """Replace the operator between two operands, found in the text between them."""
        match = re.fullmatch(rf"[\s()\\]*({pattern})[\s()\\]*", self.text(start, end))
        if match is not None:  # else a comment between the operands: leave it
            self.add(start + match.start(1), start + match.end(1), replacement, what)

    # Statements

    def visit(self, node: ast.AST) -> None:
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            return  # a docstring, or `...`
        if isinstance(node, ast.stmt):
            self.delete(node)
        super().visit(node)

    def delete(self, node: ast.stmt) -> None:
        if isinstance(node, ast.Pass | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            return
        if not self.in_function and not isinstance(node, ast.Expr):
            return
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            return
        kind = type(node).__name__.lower()
        self.add(*self.span(node), "pass", f"delete {kind}")

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for decorator in node.decorator_list:
            self.visit(decorator)
        self.visit(node.args)
        outer, self.in_function = self.in_function, True
        for statement in node.body:
            self.visit(statement)
        self.in_function = outer

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for decorator in node.decorator_list:
            self.visit(decorator)
        outer, self.in_function = self.in_function, False
        for statement in node.body:
            self.visit(statement)
        self.in_function = outer

    def visit_arguments(self, node: ast.arguments) -> None:
        for default in [*node.defaults, *node.kw_defaults]:
            if default is not None:
                self.visit(default)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self.visit(node.value)

    def visit_Assign(self, node: ast.Assign) -> None:
        if not any(
            isinstance(target, ast.Name) and target.id == "__all__" for target in node.targets
        ):
            self.generic_visit(node)

    def visit_If(self, node: ast.If) -> None:
        if not _is_type_checking(node.test):
            self.generic_visit(node)
            return
        for statement in node.orelse:
            self.visit(statement)

    def visit_Return(self, node: ast.Return) -> None:
        value = node.value
        if value is not None and not (isinstance(value, ast.Constant) and value.value is None):
            self.add(*self.span(value), "None", "return x to return None")
        self.generic_visit(node)

    # Expressions

    def visit_Compare(self, node: ast.Compare) -> None:
        operands = [node.left, *node.comparators]
        for left, op, right in zip(operands, node.ops, operands[1:], strict=False):
            pattern, old, new = COMPARISONS[type(op)]
            self.swap_token(
                self.span(left)[1], self.span(right)[0], pattern, new, f"{old} to {new}"
            )
        self.generic_visit(node)

    def visit_BinOp(self, node: ast.BinOp) -> None:
        if type(node.op) in ARITHMETIC:
            old, new = ARITHMETIC[type(node.op)]
            start, end = self.span(node.left)[1], self.span(node.right)[0]
            self.swap_token(start, end, re.escape(old), new, f"{old} to {new}")
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        if type(node.op) in ARITHMETIC:
            old, new = ARITHMETIC[type(node.op)]
            start, end = self.span(node.target)[1], self.span(node.value)[0]
            self.swap_token(start, end, re.escape(old + "="), new + "=", f"{old}= to {new}=")
        self.generic_visit(node)

    def visit_BoolOp(self, node: ast.BoolOp) -> None:
        old, new = ("and", "or") if isinstance(node.op, ast.And) else ("or", "and")
        start, end = self.span(node)
        pieces: list[str] = []
        position = start
        for left, right in itertools.pairwise(node.values):
            gap_start, gap_end = self.span(left)[1], self.span(right)[0]
            gap = self.text(gap_start, gap_end)
            if re.fullmatch(rf"[\s()\\]*{old}[\s()\\]*", gap) is None:
                break  # a comment between the operands: leave this one
            pieces += [self.text(position, gap_start), gap.replace(old, new)]
            position = gap_end
        else:
            self.add(start, end, "".join([*pieces, self.text(position, end)]), f"{old} to {new}")
        self.generic_visit(node)

    def visit_UnaryOp(self, node: ast.UnaryOp) -> None:
        if isinstance(node.op, ast.Not):
            start, operand = self.span(node)[0], self.span(node.operand)[0]
            if re.fullmatch(r"not[\s(]*", self.text(start, operand)):
                rest = self.text(start + 3, operand).lstrip()  # the operand's parentheses
                self.add(start, operand, rest, "not x to x")
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        start, end = self.span(node)
        text = self.text(start, end)
        if isinstance(node.value, bool):
            if text in {"True", "False"}:
                self.add(start, end, str(not node.value), f"{text} to {not node.value}")
        elif isinstance(node.value, int) and _literal(text) == node.value:
            moved = {0: [1], 1: [0, 2]}.get(node.value, [node.value + 1, node.value - 1])
            for value in moved:
                self.add(start, end, str(value), f"{text} to {value}")

    def visit_JoinedStr(self, node: ast.JoinedStr) -> None:
        pass  # positions inside f-strings are unreliable before Python 3.12


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _literal(text: str) -> object:
    try:
        return ast.literal_eval(text)
    except (SyntaxError, ValueError):
        return None


def find_mutants(module: str, source: bytes) -> list[Mutant]:
    """Every candidate mutant of one module, in source order, without duplicates."""
    finder = _MutantFinder(module, source)
    finder.visit(ast.parse(source))
    return sorted(set(finder.mutants))


def is_viable(mutant: Mutant, source: bytes, tree: str) -> bool:
    """Say whether a mutant compiles and changes the module's syntax tree."""
    mutated = mutant.apply(source)
    try:
        compile(mutated, mutant.module, "exec", dont_inherit=True)
    except SyntaxError:
        return False
    return ast.dump(ast.parse(mutated)) != tree


def allocate(counts: dict[str, int], size: int) -> dict[str, int]:
    """Split a sample of ``size`` over modules in proportion to their mutant counts.

    Each module first gets ``PER_MODULE`` (or all it has); then each further
    mutant goes to the module with the smallest share of its own mutants so far.
    """
    shares = {module: min(PER_MODULE, count) for module, count in counts.items()}
    for _ in range(min(size, sum(counts.values())) - sum(shares.values())):
        module = min(
            (module for module in counts if shares[module] < counts[module]),
            key=lambda module: (shares[module] / counts[module], module),
        )
        shares[module] += 1
    return shares


def choose(sources: dict[str, bytes], size: int, seed: int) -> tuple[list[Mutant], int]:
    """Sample viable mutants, reproducibly; return them and how many candidates there were."""
    candidates = {module: find_mutants(module, source) for module, source in sources.items()}
    chosen: list[Mutant] = []
    shares = allocate({module: len(found) for module, found in candidates.items()}, size)
    for module, found in sorted(candidates.items()):
        source, tree = sources[module], ast.dump(ast.parse(sources[module]))
        order = random.Random(f"{seed}:{module}").sample(found, len(found))
        viable = (mutant for mutant in order if is_viable(mutant, source, tree))
        chosen += itertools.islice(viable, shares[module])
    return sorted(chosen), sum(len(found) for found in candidates.values())


@dataclass(frozen=True)
class Run:
    """What one pytest run on one copy of the package did."""

    status: str  # "passed", "failed" or "timeout"
    seconds: float
    detail: str  # the first failure, or why it stopped
    output: str


@dataclass(frozen=True)
class Result:
    """The verdict on one mutant."""

    mutant: Mutant
    status: str  # "killed", "timeout" (killed by a hang) or "survived"
    seconds: float
    detail: str


class Runner:
    """Copies the package, runs pytest on the copies, and can stop every run at once."""

    def __init__(self, sources: dict[str, bytes], timeout: float, seed: int) -> None:
        self.sources = sources
        self.timeout = timeout
        self.seed = seed
        self.accelerator = _accelerator()
        self._live: set[subprocess.Popen[str]] = set()
        self._lock = threading.Lock()
        self._stopped = False

    def copy(self, into: Path, mutant: Mutant | None = None) -> Path:
        """Copy the package into ``into``/intern, with ``mutant`` applied; return ``into``."""
        package = into / "intern"
        shutil.copytree(
            PACKAGE, package, ignore=shutil.ignore_patterns("__pycache__", "*.so", "*.pyd", "*.c")
        )
        if self.accelerator is not None:
            shutil.copy2(self.accelerator, package)
        if mutant is not None:
            (package / mutant.module).write_bytes(mutant.apply(self.sources[mutant.module]))
        return into

    def environment(self, site: Path) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if key != "INTERN_REQUIRE_EXTENSION"}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(site), env.get("PYTHONPATH")]))
        env["INTERN_PURE_PYTHON"] = "1"
        env["PYTHONDONTWRITEBYTECODE"] = "1"  # every copy is compiled afresh
        return env

    def python(self, site: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
        """Run this interpreter on ``site``'s copy, without a timeout (for quick checks)."""
        return subprocess.run(
            [sys.executable, *arguments],
            cwd=site,
            env=self.environment(site),
            capture_output=True,
            text=True,
            check=False,
        )

    def pytest(self, site: Path, tests: Sequence[str]) -> Run:
        """Run ``tests`` on ``site``'s copy, stopping at the first failure or the timeout.

        The working directory is ``site``, so Hypothesis keeps its examples there,
        apart for each run; its seed is fixed, so that runs can be repeated.
        """
        command = [
            *(sys.executable, "-c", PYTEST, "-x", "-q", "-p", "no:cacheprovider"),
            *("--implementation=python", f"--hypothesis-seed={self.seed}", *tests),
        ]
        started = time.monotonic()
        with self._lock:
            if self._stopped:
                return Run("failed", 0.0, "stopped", "")
            process = subprocess.Popen(
                command,
                cwd=site,
                env=self.environment(site),
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                process_group=0,  # so that a timeout ends the tests' own children too
            )
            self._live.add(process)
        try:
            output, _ = process.communicate(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            _kill(process)
            output, _ = process.communicate()
            seconds = time.monotonic() - started
            return Run("timeout", seconds, f"timed out after {self.timeout:.0f} s", output)
        finally:
            with self._lock:
                self._live.discard(process)
        seconds = time.monotonic() - started
        if process.returncode == 0:
            return Run("passed", seconds, "", output)
        detail = _first_failure(output, process.returncode)
        # pytest names test files from its working directory, the copy's: name them from ROOT
        detail = detail.replace(os.path.relpath(ROOT, site) + os.sep, "")
        return Run("failed", seconds, detail, output)

    def verdict(self, mutant: Mutant) -> Result:
        """Run a mutant against its module's tests, then, if it survives, the whole suite."""
        with tempfile.TemporaryDirectory(prefix="intern-mutant-") as scratch:
            site = self.copy(Path(scratch), mutant)
            run = self.pytest(site, tests_for(mutant.module))
            seconds = run.seconds
            if run.status == "passed" and mutant.module in TESTS_FOR:
                run = self.pytest(site, [str(TESTS)])
                seconds += run.seconds
                if run.status != "passed":
                    run = Run(run.status, run.seconds, f"{run.detail} (whole suite only)", "")
        status = {"passed": "survived", "failed": "killed", "timeout": "timeout"}[run.status]
        return Result(mutant, status, seconds, run.detail)

    def stop(self) -> None:
        """End every run under way, and refuse new ones."""
        with self._lock:
            self._stopped = True
            for process in self._live:
                _kill(process)


def _kill(process: subprocess.Popen[str]) -> None:
    with contextlib.suppress(ProcessLookupError):  # it had ended already
        os.killpg(process.pid, signal.SIGKILL)


def _accelerator() -> Path | None:
    """The built C accelerator of the installed package, if any.

    Each copy gets it, so that forcing pure Python is tested where the
    accelerator exists, as users have it.
    """
    try:
        spec = importlib.util.find_spec("intern._speedups")
    except ImportError:
        return None
    if spec is None or spec.origin is None:
        return None
    return Path(spec.origin)


def _first_failure(output: str, status: int) -> str:
    """The first failing test in pytest's output, else its first error line."""
    for pattern in (r"^(?:FAILED|ERROR) (\S+)", r"^E\s+(.+)$", r"^(\w*Error\b.*)$"):
        match = re.search(pattern, output, re.MULTILINE)
        if match is not None:
            return match.group(1)[:160]
    return f"pytest exit status {status}"


def tests_for(module: str) -> list[str]:
    """The test files to run against a mutant of ``module``."""
    patterns = TESTS_FOR.get(module)
    if patterns is None:
        return [str(TESTS)]
    return sorted({str(path) for pattern in patterns for path in TESTS.glob(pattern)})


def read_sources(modules: Sequence[str]) -> dict[str, bytes]:
    """The sources of the named modules (``_cache`` or ``_cache.py``), or of all."""
    available = {path.name: path for path in sorted(PACKAGE.glob("*.py"))}
    names = [name if name.endswith(".py") else f"{name}.py" for name in modules] or available
    unknown = [name for name in names if name not in available]
    if unknown:
        sys.exit(f"no such module in {PACKAGE}: {', '.join(unknown)}")
    return {name: available[name].read_bytes() for name in names}


def check_baseline(runner: Runner) -> float:
    """Check that the copy is what ``import intern`` finds and that it passes every test.

    Returns how long the whole suite took; exits with status 1 if it failed.
    """
    with tempfile.TemporaryDirectory(prefix="intern-mutant-") as scratch:
        site = runner.copy(Path(scratch))
        found = runner.python(
            site, "-c", "import intern; print(intern.__file__, intern.implementation)"
        )
        print(f"sanity: import intern finds {found.stdout.strip() or found.stderr.strip()}")
        location, _, implementation = found.stdout.strip().rpartition(" ")
        if not location.startswith(str(site)) or implementation != "python":
            sys.exit("the copy is not what `import intern` finds, with pure Python: stopping")
        run = runner.pytest(site, [str(TESTS)])
    if run.status != "passed":
        print(run.output[-4000:])
        print(f"baseline: the unmutated copy fails ({run.detail}): stopping", flush=True)
        sys.exit(1)
    return run.seconds


def run_all(runner: Runner, mutants: Sequence[Mutant], workers: int) -> list[Result]:
    """Run every mutant, ``workers`` at a time, printing each verdict as it comes."""
    results: list[Result] = []
    width = len(str(len(mutants)))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(runner.verdict, mutant) for mutant in mutants]
        try:
            for done, future in enumerate(as_completed(futures), start=1):
                result = future.result()
                results.append(result)
                print(
                    f"[{done:{width}}/{len(mutants)}] {result.status:8} {result.mutant}"
                    f"  ({result.seconds:.1f} s) {result.detail}",
                    flush=True,
                )
        except KeyboardInterrupt:
            runner.stop()
            pool.shutdown(cancel_futures=True)
            raise
    return sorted(results, key=lambda result: result.mutant)


def summary(results: Sequence[Result], sources: dict[str, bytes]) -> Iterator[str]:
    """The report: killed per module, the score, and each survivor as a diff."""
    yield f"{'module':14} killed  total"
    for module in sorted(sources):
        mine = [result for result in results if result.mutant.module == module]
        if mine:
            killed = sum(result.status != "survived" for result in mine)
            yield f"{module:14} {killed:6} {len(mine):6}"
    killed = sum(result.status != "survived" for result in results)
    hangs = sum(result.status == "timeout" for result in results)
    score = 100 * killed / len(results) if results else 0.0
    yield f"score: {killed} / {len(results)} mutants killed ({score:.1f}%), {hangs} by a hang"
    survivors = [result for result in results if result.status == "survived"]
    if survivors:
        yield ""
        yield f"survivors ({len(survivors)}): each is equivalent, or a gap in the tests"
    for result in survivors:
        yield ""
        yield f"# {result.mutant}"
        yield result.mutant.diff(sources[result.mutant.module]).rstrip("\n")


def write_json(
    path: Path, results: Sequence[Result], sources: dict[str, bytes], settings: dict[str, object]
) -> None:
    mutants = [
        {
            "module": result.mutant.module,
            "line": result.mutant.line,
            "operator": result.mutant.operator,
            "status": result.status,
            "seconds": round(result.seconds, 2),
            "detail": result.detail,
            "diff": result.mutant.diff(sources[result.mutant.module]),
        }
        for result in results
    ]
    killed = sum(result.status != "survived" for result in results)
    report = {**settings, "killed": killed, "total": len(results), "mutants": mutants}
    path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python tests/mutants.py",
        description="Sample mutants of intern's pure-Python modules; say how many tests kill.",
    )
    parser.add_argument("--sample", type=int, default=60, metavar="N", help="mutants to run")
    parser.add_argument("--seed", type=int, help="the sample's seed (default: a random one)")
    parser.add_argument(
        "--module",
        action="append",
        default=[],
        metavar="NAME",
        help="only this module (repeatable)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        metavar="SEC",
        help="seconds per test run before it counts as a hang, so killed"
        " (default: 3 times the unmutated suite's, at least 60)",
    )
    parser.add_argument("--workers", type=int, default=2, help="test runs at once (default: 2)")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the results here")
    parser.add_argument("--list", action="store_true", help="print the sample's diffs; run nothing")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    seed: int = random.randrange(1_000_000) if arguments.seed is None else arguments.seed
    sources = read_sources(arguments.module)
    mutants, candidates = choose(sources, arguments.sample, seed)
    repeat = f"--seed {seed} --sample {arguments.sample}"
    print(f"seed {seed}: {len(mutants)} of {candidates} mutants (repeat with {repeat})")
    if arguments.list:
        for mutant in mutants:
            print(f"\n# {mutant}\n{mutant.diff(sources[mutant.module]).rstrip()}")
        return 0

    started = time.monotonic()
    runner = Runner(sources, arguments.timeout or 600.0, seed)  # the baseline gets 10 minutes
    print(f"C accelerator in each copy: {runner.accelerator or 'none found'}")
    baseline = check_baseline(runner)
    runner.timeout = arguments.timeout or max(60.0, 3 * baseline)
    print(
        f"baseline: the unmutated copy passes every test in {baseline:.0f} s;"
        f" timeout {runner.timeout:.0f} s per run",
        flush=True,
    )
    results = run_all(runner, mutants, arguments.workers)
    minutes = (time.monotonic() - started) / 60
    print()
    for line in summary(results, sources):
        print(line)
    print(f"\n{len(results)} mutants in {minutes:.1f} minutes (repeat with {repeat})")
    if arguments.json is not None:
        settings: dict[str, object] = {"seed": seed, "sample": arguments.sample}
        settings["modules"] = sorted(sources)
        settings["minutes"] = round(minutes, 1)
        write_json(arguments.json, results, sources, settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
