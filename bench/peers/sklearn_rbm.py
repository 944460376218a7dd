"""scikit-learn BernoulliRBM peer for the rbm suite: one training epoch (fit with n_iter=1: persistent
CD-1 over the rows in order, batch by batch) on the bench's binary rows, read from the file it wrote
as float32 (BernoulliRBM keeps float32). Usage: python3 sklearn_rbm.py '<json config>' with
{"threads": n, "repeats": r, "rows":.., "cols":.., "hidden": 64, "learningRate": 0.1, "batches": [10, 128], "x": path}.
BLAS threads follow OMP/OPENBLAS/MKL_NUM_THREADS, which the bench sets to `threads`.
Prints one JSON line: {"sklearn": version, "threads": n, "results": [{"batch", "epoch"}, ...]} (seconds)."""
import json
import sys

import numpy as np
import sklearn
from sklearn.neural_network import BernoulliRBM

from timing import measure


def main():
    cfg = json.loads(sys.argv[1])
    x = np.fromfile(cfg['x'], dtype=np.float32).reshape(cfg['rows'], cfg['cols'])
    out = []
    for batch in cfg['batches']:
        def epoch():
            BernoulliRBM(n_components=cfg['hidden'], learning_rate=cfg['learningRate'], batch_size=batch, n_iter=1,
                         random_state=0).fit(x)

        out.append({'batch': batch, 'epoch': measure(epoch, cfg['repeats'])})
    print(json.dumps({'sklearn': sklearn.__version__, 'threads': cfg['threads'], 'results': out}))


if __name__ == '__main__':
    main()
