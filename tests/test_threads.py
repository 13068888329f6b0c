"""chip_ner/threads.py: a worker process limits BLAS to one thread (run in a child process, so the
test process keeps its own setting)."""
import json
import os
import subprocess
import sys

SCRIPT = (
    "import json, numpy\n"
    "from threadpoolctl import threadpool_info\n"
    "before = [i['num_threads'] for i in threadpool_info() if i['user_api'] == 'blas']\n"
    "from chip_ner.threads import one_blas_thread\n"
    "one_blas_thread()\n"
    "after = [i['num_threads'] for i in threadpool_info() if i['user_api'] == 'blas']\n"
    "print(json.dumps([before, after]))\n"
)


def test_one_blas_thread_after_numpy_loaded():
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                            env={**os.environ, "OPENBLAS_NUM_THREADS": "2"})
    assert result.returncode == 0, result.stderr
    before, after = json.loads(result.stdout)
    assert before == [2] * len(before) and before, "numpy's BLAS should start with the variable's two threads"
    assert after == [1] * len(before)


def test_spawned_worker_gets_one_thread_before_its_task_loads_numpy():
    """A spawned worker runs the initializer first, with nothing loaded yet (the bug this catches:
    the limit came before numpy, so numpy's OpenBLAS kept a thread per core)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from threadpoolctl import threadpool_info

    from chip_ner.threads import one_blas_thread

    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"), initializer=one_blas_thread) as pool:
        info = pool.submit(threadpool_info).result()
    blas = [i["num_threads"] for i in info if i["user_api"] == "blas"]
    assert blas and blas == [1] * len(blas)
