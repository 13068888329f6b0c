"""One BLAS thread in each worker process the project starts.

Why: the shipped pipeline multiplies matrices on numpy's OpenBLAS (chip_ner/pipeline/ops.py),
which by default runs a thread per core. Several worker processes on the same cores then each run
that many threads and wait on one another: measured on the 2-core machine, two 300-step trainings
of configs/person_msra.cfg side by side took 83 s with two threads each and 42 s with one. A process
that works alone keeps OpenBLAS's default.
"""
from __future__ import annotations

import os

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def one_blas_thread() -> None:
    """For the rest of this process (and the processes it starts), BLAS libraries use one thread.
    The variables reach a library loaded later; threadpoolctl (a dependency of scikit-learn)
    limits numpy's, loaded here first: a spawned worker runs its initializer before it imports
    the module of its task, so numpy may not be loaded yet, and threadpoolctl limits only
    libraries that are."""
    for name in THREAD_VARIABLES:
        os.environ[name] = "1"
    import numpy  # noqa: F401
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")
