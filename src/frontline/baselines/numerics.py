"""One numerical environment for the baselines, the same on every x86-64 machine.

Floating-point sums give different last bits when they are added in another order, and
the order is chosen at run time by the CPU: OpenBLAS picks a kernel for the processor
(``Haswell``, ``SkylakeX``, ``Zen`` ...) and a thread count for its cores, NumPy dispatches
its loops to AVX2 or AVX-512 where the CPU has them, and glibc's ``exp``/``log`` take an
FMA path where the CPU has FMA. A logistic regression tuned on validation flips its choice
of C on such bits (issue 15: 0.4965 vs 0.4930). :data:`PINNED` fixes every one of these
choices; ``frontline baselines`` runs its numerical work in a child process with it (the
settings are read when the libraries load, so they cannot be changed in a running
process).

One more choice is made by a library that has no setting for it: ``blis``, which picks its
kernel from the CPU (``generic``, ``haswell``, ``skx``, ``zen``...) and which thinc and
spaCy's transition-based parser call. :mod:`frontline.baselines.blas` takes it out of every
product spacy-ner computes.
"""

from __future__ import annotations

import os
import platform
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from frontline.errors import FrontlineError

MARKER = "FRONTLINE_NUMERICS"
# Every NumPy 2.2 dispatch target above the x86-64 baseline (SSE, SSE2, SSE3).
NUMPY_DISPATCH = (
    "SSSE3 SSE41 POPCNT SSE42 AVX F16C FMA3 AVX2 AVX512F AVX512CD AVX512_KNL "
    "AVX512_KNM AVX512_SKX AVX512_CLX AVX512_CNL AVX512_ICL"
)
PINNED: dict[str, str] = {
    MARKER: "pinned",
    # OpenBLAS: one kernel whatever the CPU (Haswell: AVX2 and FMA, every x86-64 server CPU
    # since 2013-2015), one thread (a threaded dot product splits its sum by thread count).
    "OPENBLAS_CORETYPE": "Haswell",
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "BLIS_NUM_THREADS": "1",
    # NumPy's own loops: the baseline code path on every CPU.
    "NPY_DISABLE_CPU_FEATURES": NUMPY_DISPATCH,
    # glibc's libm: the non-FMA, non-AVX variants of exp, log, pow... on every CPU.
    "GLIBC_TUNABLES": (
        "glibc.cpu.hwcaps=-AVX,-AVX2,-FMA,-FMA4,-AVX512F,-AVX512DQ,-AVX512BW,-AVX512VL"
    ),
    # set and dict order of strings
    "PYTHONHASHSEED": "0",
}
#: PyTorch's choices (the transformer baselines; they change nothing else): ATen's vectorised
#: kernels, MKL's and oneDNN's code paths fixed to AVX2 whatever the CPU (measured on an AVX-512
#: machine by scripts/transformer_numerics.py: ATen's avx512, avx2 and default kernels give
#: three sets of bits, MKL's COMPATIBLE path and oneDNN capped at AVX2 other ones). The thread
#: count is fixed in the code (frontline.baselines.transformer.THREADS): 1, 2 and 3 threads give
#: other bits too.
TORCH: dict[str, str] = {
    "ATEN_CPU_CAPABILITY": "avx2",
    "MKL_CBWR": "AVX2",
    "ONEDNN_MAX_CPU_ISA": "AVX2",
}
# What a machine's own environment may set that the pinned one overrides.
OVERRIDDEN = (
    tuple(k for k in PINNED if k != MARKER)
    + tuple(TORCH)
    + ("OPENBLAS_L2_SIZE", "OPENBLAS_VERBOSE", "MKL_ENABLE_INSTRUCTIONS")
)
REQUIRED_CPU_FLAGS = ("avx2", "fma")


class NumericsError(FrontlineError, RuntimeError):
    """The machine cannot run the pinned kernel."""


def is_pinned(env: Mapping[str, str] = os.environ) -> bool:
    """Whether this process was started with :data:`PINNED`."""
    return all(env.get(k) == v for k, v in PINNED.items())


def pinned_environment(env: Mapping[str, str] = os.environ) -> dict[str, str]:
    """``env`` with every numerical setting replaced by :data:`PINNED` (``OPENBLAS_L2_SIZE``
    dropped: OpenBLAS then reads the cache size as it does for its Haswell kernel)."""
    out = {k: v for k, v in env.items() if k not in OVERRIDDEN}
    out.update(PINNED)
    out.update(TORCH)
    return out


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> set[str]:
    """The CPU's feature flags (empty where /proc/cpuinfo cannot be read)."""
    try:
        text = cpuinfo.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return set()
    return next(
        (
            set(line.split(":", 1)[1].split())
            for line in text.splitlines()
            if line.startswith("flags")
        ),
        set(),
    )


def check_cpu(flags: set[str] | None = None, machine: str | None = None) -> None:
    """Refuse, with the reason, a machine on which the pinned kernel cannot run."""
    machine = machine or platform.machine()
    if machine not in ("x86_64", "AMD64"):
        raise NumericsError(
            f"the recorded baselines are made on x86-64 with OpenBLAS's Haswell kernel; "
            f"this machine is {machine}: run with FRONTLINE_NUMERICS=as-is to use its own "
            f"kernels (the figures will then differ from the recorded ones in places)"
        )
    flags = cpu_flags() if flags is None else flags
    missing = [f for f in REQUIRED_CPU_FLAGS if f not in flags]
    if flags and missing:
        raise NumericsError(
            f"OpenBLAS's Haswell kernel needs the CPU features {', '.join(missing)}, which this "
            f"CPU lacks: run with FRONTLINE_NUMERICS=as-is to use its own kernels (the figures "
            f"will then differ from the recorded ones in places)"
        )


def cpu_model(cpuinfo: Path = Path("/proc/cpuinfo")) -> str:
    """The CPU's model name (the platform's processor where /proc/cpuinfo cannot be read)."""
    try:
        text = cpuinfo.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return platform.processor() or "unknown"
    return next(
        (
            line.split(":", 1)[1].strip()
            for line in text.splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown",
    )


def platform_record() -> dict[str, Any]:
    """The machine and numerical libraries of this run (CPU, BLAS kernels, threads, NumPy SIMD)."""
    import numpy
    from numpy._core._multiarray_umath import __cpu_features__ as features
    from threadpoolctl import threadpool_info

    blas = [
        {
            "library": i.get("internal_api"),
            "version": i.get("version"),
            "kernel": i.get("architecture"),
            "threads": i.get("num_threads"),
            "used_by": Path(i.get("filepath", "")).parent.name,
        }
        for i in threadpool_info()
    ]
    return {
        "machine": platform.machine(),
        "cpu_model": cpu_model(),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "numerics": os.environ.get(MARKER, "as-is"),
        "blas": sorted(blas, key=lambda b: (str(b["used_by"]), str(b["library"]))),
        "numpy_simd_enabled": sorted(
            k for k, on in features.items() if on and k in set(NUMPY_DISPATCH.split())
        ),
        "numpy": numpy.__version__,
    }
