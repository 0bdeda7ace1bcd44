import subprocess
import sys

import pytest

from frontline.core.locks import Busy, exclusive


def test_a_second_holder_is_refused_with_the_reason(tmp_path):
    lock = tmp_path / "build.lock"
    with exclusive(lock, "another build is running"):
        with pytest.raises(
            Busy, match=r"^another build is running \(lock .*build.lock\); wait for it to finish$"
        ):
            with exclusive(lock, "another build is running"):
                pass
    with exclusive(lock, "another build is running"):  # released after the block
        pass


def test_the_lock_dies_with_its_process(tmp_path):
    lock = tmp_path / "push.lock"
    code = (
        f"from frontline.core.locks import exclusive; from pathlib import Path\n"
        f"with exclusive(Path({str(lock)!r}), 'x'):\n    import os; os._exit(0)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    with exclusive(lock, "x"):  # no stale lock after the holder exited without releasing
        pass
