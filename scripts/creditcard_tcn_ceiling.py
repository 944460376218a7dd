# Reads {rows, labels, splits: [{seed, train, test}]} as JSON on stdin (scripts/creditcard-tcn-ceiling.mts)
# and prints the held-out ROC AUC of three standard tabular classifiers per split, with their mean.
import json
import sys

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

data = json.load(sys.stdin)
X = np.asarray(data['rows'], dtype=np.float64)
y = np.asarray(data['labels'])
models = {
    'logistic regression (standardised)': lambda: make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)),
    'random forest (500 trees)': lambda: RandomForestClassifier(n_estimators=500, random_state=0),
    'histogram gradient boosting': lambda: HistGradientBoostingClassifier(random_state=0),
}
print('split seeds: ' + ' '.join(str(s['seed']) for s in data['splits']))
for name, make in models.items():
    aucs = []
    for s in data['splits']:
        model = make().fit(X[s['train']], y[s['train']])
        aucs.append(roc_auc_score(y[s['test']], model.predict_proba(X[s['test']])[:, 1]))
    print(f"{name}: {' '.join(f'{a:.4f}' for a in aucs)}  mean {np.mean(aucs):.4f} ± {np.std(aucs, ddof=1):.4f}")
