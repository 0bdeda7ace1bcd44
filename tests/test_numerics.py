"""The pinned numerical environment: what it sets, and that the baselines give the same bytes
under it whatever the caller's BLAS kernel, thread count and CPU affinity."""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from frontline.baselines import numerics

HERE = Path(__file__).parent

CHILD = """
import hashlib, json, sys
sys.path.insert(0, sys.argv[1])
from test_baselines import make_doc
from frontline.baselines import models, numerics, suite
from frontline.baselines.record import results_json
from frontline.baselines.suite import Data
from frontline.core.paths import find_project
from frontline.core.scheme import load_scheme
project = find_project(None)
scheme = load_scheme(project.scheme)
docs = [make_doc(f"d{k}", [(k + j) % 4 for j in range(4)], scheme) for k in range(8)]
data = Data(docs[:4], docs[4:6], docs[6:], "fixture")
fast = {"training.max_steps": 30, "training.eval_frequency": 10}
config = project.baselines / "configs" / "ner.cfg"
results, _ = suite.run(data, scheme, config, lambda m: None, fast)
rel = models.SklearnRelations(data.train, C=1.0, seed=suite.SEED)
ner = models.SklearnNer(data.train, scheme.entity_names, C=1.0, seed=suite.SEED)
coef = hashlib.sha256(rel.model.coef_.tobytes() + ner.model.coef_.tobytes()).hexdigest()
print(json.dumps({"results": results_json(results), "coef": coef,
                  "platform": numerics.platform_record()}))
"""


def test_pinned_environment_overrides_every_numerical_setting() -> None:
    caller = {
        "PATH": "/bin",
        "OPENBLAS_CORETYPE": "SkylakeX",
        "OPENBLAS_NUM_THREADS": "8",
        "OPENBLAS_L2_SIZE": "262144",
        "GLIBC_TUNABLES": "glibc.malloc.check=3",
    }
    env = numerics.pinned_environment(caller)
    assert env["PATH"] == "/bin"
    assert env["OPENBLAS_CORETYPE"] == "Haswell" and env["OPENBLAS_NUM_THREADS"] == "1"
    assert "OPENBLAS_L2_SIZE" not in env
    assert env["GLIBC_TUNABLES"].startswith("glibc.cpu.hwcaps=-AVX,")
    assert numerics.is_pinned(env) and not numerics.is_pinned(caller)
    assert not numerics.is_pinned({**env, "OPENBLAS_NUM_THREADS": "2"})


def test_check_cpu_names_what_is_missing() -> None:
    numerics.check_cpu({"avx2", "fma", "sse2"}, "x86_64")
    with pytest.raises(
        numerics.NumericsError, match="needs the CPU features fma, which this CPU lacks"
    ):
        numerics.check_cpu({"avx2", "sse2"}, "x86_64")
    with pytest.raises(numerics.NumericsError, match="this machine is aarch64"):
        numerics.check_cpu({"asimd"}, "aarch64")


def test_cpu_flags_and_model_read_cpuinfo(tmp_path: Path) -> None:
    info = tmp_path / "cpuinfo"
    info.write_text(
        "processor\t: 0\nmodel name\t: Test CPU 9000\nflags\t\t: fpu sse2 avx2 fma\n\n",
        encoding="utf-8",
    )
    assert numerics.cpu_flags(info) == {"fpu", "sse2", "avx2", "fma"}
    assert numerics.cpu_model(info) == "Test CPU 9000"
    assert numerics.cpu_flags(tmp_path / "missing") == set()


def _run_child(caller: dict[str, str], cpus: set[int] | None) -> dict[str, Any]:
    env = numerics.pinned_environment(caller)
    env["PYTHONPATH"] = os.pathsep.join(sys.path)
    preexec = (lambda: os.sched_setaffinity(0, cpus)) if cpus else None
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(HERE)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        preexec_fn=preexec,
        cwd=HERE.parent,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_fixture_baselines_are_byte_identical_under_other_kernels_and_thread_counts() -> None:
    """Two callers as unlike as this machine allows (another OpenBLAS kernel, 2 threads and both
    CPUs, against the SSE kernel, 1 thread and one CPU): the pinned run gives the same bytes."""
    caller = {k: v for k, v in os.environ.items() if k not in numerics.OVERRIDDEN}
    a = _run_child(
        {**caller, "OPENBLAS_CORETYPE": "Sandybridge", "OPENBLAS_NUM_THREADS": "2"}, None
    )
    b = _run_child(
        {
            **caller,
            "OPENBLAS_CORETYPE": "Prescott",
            "OPENBLAS_NUM_THREADS": "1",
            "NPY_DISABLE_CPU_FEATURES": "AVX512F",
        },
        {sorted(os.sched_getaffinity(0))[0]},
    )
    assert a["platform"]["numerics"] == b["platform"]["numerics"] == "pinned"
    assert {k["kernel"] for k in a["platform"]["blas"] if k["library"] == "openblas"} == {"Haswell"}
    assert a["results"] == b["results"]
    assert a["coef"] == b["coef"]
