"""scikit-learn OneClassSVM peer of the `ocsvm` bench suite: fit on the bench's training table, then
decision_function on its scoring table, both read from the float32 files the bench wrote (handed to
scikit-learn as float64, which its libsvm requires; the conversion is outside the timing).
Usage: python3 sklearn_ocsvm.py '<json config>' where config is
{"threads": n, "repeats": r, "x": path, "rows": n, "cols": d, "score": path | null, "scoreRows": m,
 "nu": nu, "gamma": number | "scale" | "auto", "kernel": "rbf", "tol": tol, "cacheSize": mb}.
Prints one JSON line: {"sklearn": version, "fitSeconds", "scoreSeconds" (or null), "nSV", "rho",
"nIter", "decision": the first 16 decision values of the scoring table}."""
import json
import sys

import numpy as np
import sklearn
from sklearn.svm import OneClassSVM

from timing import measure


def read(path, rows, cols):
    return np.fromfile(path, dtype=np.float32).reshape(rows, cols).astype(np.float64)


def main():
    cfg = json.loads(sys.argv[1])
    x = read(cfg['x'], cfg['rows'], cfg['cols'])
    opts = dict(kernel=cfg['kernel'], nu=cfg['nu'], gamma=cfg['gamma'], tol=cfg['tol'], cache_size=cfg['cacheSize'])
    holder = {}

    def fit():
        holder['m'] = OneClassSVM(**opts).fit(x)

    fit_s = measure(fit, cfg['repeats'])
    m = holder['m']
    out = {
        'sklearn': sklearn.__version__, 'fitSeconds': fit_s, 'scoreSeconds': None, 'nSV': int(len(m.support_)),
        'rho': float(np.ravel(m.offset_)[0]), 'nIter': int(np.ravel(m.n_iter_)[0]), 'decision': [],
    }
    if cfg.get('score'):
        t = read(cfg['score'], cfg['scoreRows'], cfg['cols'])
        out['scoreSeconds'] = measure(lambda: m.decision_function(t), cfg['repeats'])
        out['decision'] = m.decision_function(t[:16]).tolist()
    print(json.dumps(out))


if __name__ == '__main__':
    main()
