"""keep_freed_memory: freed tensors of a few MB are reused instead of being page-faulted in afresh."""

import platform
import resource

import pytest
import torch

from genlab.runtime import keep_freed_memory


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")
def test_a_loop_of_13_mb_tensors_stops_faulting_after_the_first_pass():
    assert keep_freed_memory() is True
    assert keep_freed_memory() is True  # idempotent
    rows = 4096 * 784  # one decoded NLL chunk: 12.8 MB of float32
    for _ in range(12):  # glibc settles on reusing the blocks within a few passes (seen: 3 to 6)
        a = torch.empty(rows).fill_(1.0)
        b = torch.empty(rows).fill_(2.0)
        del a, b
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(20):
        a = torch.empty(rows).fill_(1.0)
        b = torch.empty(rows).fill_(2.0)
        del a, b
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
    # Without it every pass faults both tensors in again: 20 x 6,272 pages. With it: none, give or take.
    assert faults < rows * 4 // 4096, faults


DENORMAL_CHECK = """
import sys, torch
{setup}
tiny = torch.full((1_000_000,), 1e-30) * 1e-10   # 1e-40: a denormal unless flushed; big enough for both threads
print(int(torch.count_nonzero(tiny)), torch.get_num_threads())
"""


@pytest.mark.parametrize("setup, flushed", [
    ("", False),
    ("from genlab.runtime import flush_denormals\nassert flush_denormals()", True),
    (("from genlab.cli import main\nassert main(['train', 'vae', '--data', 'digits', '--hidden', '8', '--epochs', "
      "'0', '--max-steps', '1', '--quiet', '--out', sys.argv[1]]) == 0"), True),
])
def test_denormals_are_flushed_in_every_thread_by_the_command(tmp_path, setup, flushed):
    """Adam's moments decay into denormals (slow x86 arithmetic); the train command flushes them to zero
    before any tensor work, so torch's worker threads get the setting too (checked on a tensor that both
    threads work on). Each case runs in its own process, as the setting is process state."""
    import subprocess
    import sys

    if platform.machine() not in ("x86_64", "AMD64"):
        pytest.skip("denormal flushing is checked on x86 (DAZ/FTZ)")
    code = DENORMAL_CHECK.format(setup=setup)
    proc = subprocess.run([sys.executable, "-c", code, str(tmp_path / "run")], capture_output=True, text=True,
                          timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    nonzero, threads = map(int, proc.stdout.split()[-2:])
    assert (nonzero == 0) if flushed else (nonzero == 1_000_000), (nonzero, threads)
