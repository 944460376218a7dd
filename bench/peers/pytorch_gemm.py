"""PyTorch float32 GEMM peer: C = A @ B with torch.mm(out=C), row-major operands read from the files the
bench wrote, so the data are the bench's. Usage: python3 pytorch_gemm.py '<json config>' where config is
{"threads": n, "repeats": r, "cases": [{"M":..,"N":..,"K":..,"a": path, "b": path}, ...]}.
Prints one JSON line: {"torch": version, "threads": n, "results": [{"M", "N", "K", "seconds", "gflops"}, ...]}."""
import json
import sys

import torch

from timing import measure, read_tensor, set_threads


def main():
    cfg = json.loads(sys.argv[1])
    set_threads(torch, cfg['threads'])
    out = []
    for c in cfg['cases']:
        M, N, K = c['M'], c['N'], c['K']
        a = read_tensor(torch, c['a'], torch.float32, (M, K))
        b = read_tensor(torch, c['b'], torch.float32, (K, N))
        res = torch.empty((M, N), dtype=torch.float32)
        sec = measure(lambda: torch.mm(a, b, out=res), cfg['repeats'])
        out.append({'M': M, 'N': N, 'K': K, 'seconds': sec, 'gflops': 2.0 * M * N * K / sec / 1e9})
    print(json.dumps({'torch': torch.__version__, 'threads': torch.get_num_threads(), 'results': out}))


if __name__ == '__main__':
    main()
