"""Timing policy of bench/harness.ts, for the python peers: a warm-up call, then the median over
`repeats` of the per-call time, each repeat running enough calls to last at least MIN_REPEAT_S."""
import math
import statistics
import time

MIN_REPEAT_S = 0.1


def measure(fn, repeats, min_repeat_s=MIN_REPEAT_S):
    t0 = time.perf_counter()
    fn()
    warm = time.perf_counter() - t0
    inner = max(1, math.ceil(min_repeat_s / max(warm, 1e-6)))
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        for _ in range(inner):
            fn()
        times.append((time.perf_counter() - t) / inner)
    return statistics.median(times)


def set_threads(torch, threads):
    torch.set_num_threads(threads)
    # Inter-op threads only matter for graph-parallel work; one keeps the comparison about intra-op scaling.
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass  # already fixed once work has started; harmless


def read_tensor(torch, path, dtype, shape):
    with open(path, 'rb') as f:
        data = bytearray(f.read())
    return torch.frombuffer(data, dtype=dtype).reshape(shape).clone()
