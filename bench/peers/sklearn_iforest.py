"""scikit-learn IsolationForest peer for the iforest suite: fit (100 trees of 256 rows) and score_samples
on the bench's data, read from the files it wrote. Usage: python3 sklearn_iforest.py '<json config>' with
{"threads": n, "repeats": r, "scoreRepeats": r2, "trees": 100, "maxSamples": 256,
 "cases": [{"rows":.., "cols":.., "x": path}, ...]}.
`fit` is IsolationForest(contamination='auto').fit(X): trees only, as vigil's fit row (with a
contamination share sklearn's fit also scores the training rows). n_jobs = threads; sklearn 1.2's
score_samples runs on one thread whatever n_jobs says.
Prints one JSON line: {"sklearn": version, "threads": n, "results": [{"rows", "cols", "fit", "score"}, ...]} (seconds)."""
import json
import sys

import numpy as np
import sklearn
from sklearn.ensemble import IsolationForest

from timing import measure


def main():
    cfg = json.loads(sys.argv[1])
    out = []
    for c in cfg['cases']:
        x = np.fromfile(c['x'], dtype=np.float32).reshape(c['rows'], c['cols'])

        def make():
            return IsolationForest(n_estimators=cfg['trees'], max_samples=cfg['maxSamples'], contamination='auto',
                                   n_jobs=cfg['threads'], random_state=0)

        fit = measure(lambda: make().fit(x), cfg['repeats'])
        model = make().fit(x)
        score = measure(lambda: model.score_samples(x), cfg['scoreRepeats'])
        out.append({'rows': c['rows'], 'cols': c['cols'], 'fit': fit, 'score': score})
    print(json.dumps({'sklearn': sklearn.__version__, 'threads': cfg['threads'], 'results': out}))


if __name__ == '__main__':
    main()
