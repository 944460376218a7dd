"""PyTorch CPU peer for the conv1d suite: the TCN stack of bench/suites/conv1d.ts (causal dilated
Conv1d layers, ReLU between them) on the bench's data. Usage: python3 pytorch_conv1d.py '<json config>'
where config is {"threads": n, "repeats": r, "batch", "time", "inChannels", "filters", "kernelSize",
"dilations": [...], "x": path (float32 [batch, time, inChannels], channels-last as vigil),
"w": [paths] (float32 [filters, cin, kernelSize], PyTorch's layout), "b": [paths], "g": path (float32
[batch, time, filters], the gradient of the output), "check": [[b, t, o], ...], "checkW": [[o, c, k], ...]}.
PyTorch convolves [batch, channels, time]: x and g are transposed once, outside the timing. Causal
padding is F.pad on the left by (kernelSize - 1) * dilation, as keras-tcn's PyTorch ports do.
forward: under torch.inference_mode. train: forward + backward of sum(y * g) through all layers
(x.grad, every weight and bias gradient), grads cleared (set to None) first.
"heapMalloc": true re-runs the script with glibc's malloc told to keep freed blocks up to 32 MB in the
heap (GLIBC_TUNABLES mmap_threshold / trim_threshold). By default glibc returns each of PyTorch's 16 MB
activations to the kernel when it is freed, so the next call page-faults them in again; on this
project's VM a first touch costs ~18 us per 4 KiB page (~70 ms per 16 MB, measured), which swamps the
convolutions and makes PyTorch's times erratic. The tuned row is PyTorch without that VM artifact.
Prints one JSON line: {"torch", "threads", "forward", "train" (sequences per second), "y": values of
y at `check`, "dW0": values of the first layer's weight gradient at `checkW`}."""
import json
import os
import sys

import torch
import torch.nn.functional as F

from timing import measure, read_tensor, set_threads


HEAP_TUNABLES = 'glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=4294967296'


def main():
    cfg = json.loads(sys.argv[1])
    if cfg.get('heapMalloc') and os.environ.get('GLIBC_TUNABLES') != HEAP_TUNABLES:
        # The tunables are read when the process starts: run again with them set.
        os.execve(sys.executable, [sys.executable] + sys.argv, {**os.environ, 'GLIBC_TUNABLES': HEAP_TUNABLES})
    set_threads(torch, cfg['threads'])
    B, T, C, Fo, K = cfg['batch'], cfg['time'], cfg['inChannels'], cfg['filters'], cfg['kernelSize']
    dil = cfg['dilations']
    x = read_tensor(torch, cfg['x'], torch.float32, (B, T, C)).transpose(1, 2).contiguous().requires_grad_()
    g = read_tensor(torch, cfg['g'], torch.float32, (B, T, Fo)).transpose(1, 2).contiguous()
    ws, bs = [], []
    for i, d in enumerate(dil):
        cin = C if i == 0 else Fo
        ws.append(read_tensor(torch, cfg['w'][i], torch.float32, (Fo, cin, K)).requires_grad_())
        bs.append(read_tensor(torch, cfg['b'][i], torch.float32, (Fo,)).requires_grad_())
    params = [x] + ws + bs

    def stack():
        h = x
        for i, d in enumerate(dil):
            h = F.conv1d(F.pad(h, ((K - 1) * d, 0)), ws[i], bs[i], dilation=d)
            if i < len(dil) - 1:
                h = F.relu(h)
        return h

    def forward():
        with torch.inference_mode():
            return stack()

    def train():
        for p in params:
            p.grad = None
        stack().backward(g)

    t_fwd = measure(forward, cfg['repeats'])
    t_train = measure(train, cfg['repeats'])
    y = forward()
    print(json.dumps({
        'torch': torch.__version__, 'threads': torch.get_num_threads(),
        'forward': B / t_fwd, 'train': B / t_train,
        'y': [float(y[b, o, t]) for b, t, o in cfg['check']],
        'dW0': [float(ws[0].grad[o, c, k]) for o, c, k in cfg['checkW']],
    }))


if __name__ == '__main__':
    main()
