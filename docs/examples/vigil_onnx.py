"""Reading a vigil-exported ONNX file outside vigil (Spark, Ray Data, Triton clients): the `vigil.*`
metadata_props and the preprocessing they describe, in plain Python + numpy. See docs/scaling.md.

Each function reproduces vigil's own step exactly (same rounding to float32, same padding rules), so
the tensors it builds are the ones vigil feeds its graph. test/fixtures/check_onnx.py checks that
against tensors vigil wrote (test/onnx-raw-tensors.test.ts with VIGIL_ONNX_EXPORT_DIR set).

Needs numpy; `read_metadata` needs onnx (or use onnxruntime's
`session.get_modelmeta().custom_metadata_map`, the same dict).
"""
import json

import numpy as np


def read_metadata(path):
    """The file's metadata_props as a dict of strings (no weights are needed to read them)."""
    import onnx
    model = onnx.load(path, load_external_data=False)
    return {p.key: p.value for p in model.metadata_props}


def encode_texts(meta, texts):
    """`vigil.tokenizer` + `vigil.padding`: strings to the int64 [batch, time] input `tokens`.

    Also returns each row's kept length (int32 [batch]): the second input `lengths` of a file whose
    `vigil.lengths` is "input"; other files take `tokens` alone.
    """
    tok = json.loads(meta["vigil.tokenizer"])
    pad = json.loads(meta.get("vigil.padding") or "{}")
    cfg = tok["config"]
    index = dict(tok["wordIndex"])  # [[character, id], ...]; ids start at 1, 0 is padding
    oov = index.get(cfg["oovToken"]) if cfg["oovToken"] is not None else None
    limit = cfg["numWords"] if cfg["numWords"] is not None else float("inf")
    seqs = []
    for text in texts:
        ids = []
        for ch in (text.lower() if cfg["lower"] else text):  # code points
            if ch in cfg["filters"]:
                continue
            i = index.get(ch)
            if i is not None and i < limit:
                ids.append(i)
            elif oov is not None:  # unseen (or beyond numWords): the OOV id, else dropped
                ids.append(oov)
        seqs.append(ids)
    maxlen = pad.get("maxlen") or max([1] + [len(s) for s in seqs])
    out = np.full((len(seqs), maxlen), pad.get("value", 0), dtype=np.int64)
    lengths = np.zeros(len(seqs), dtype=np.int32)
    for r, s in enumerate(seqs):
        s = s[-maxlen:] if pad.get("truncating", "pre") == "pre" else s[:maxlen]
        if pad.get("padding", "pre") == "pre":
            out[r, maxlen - len(s):] = s
        else:
            out[r, :len(s)] = s
        lengths[r] = len(s)
    return out, lengths


def table_features(meta, rows):
    """`vigil.preprocessing` (a TabularPipeline): raw rows to the float32 [N, features] input `X`.

    `rows` holds cells (str or number) in the order of the pipeline's `config.columns`.
    """
    p = json.loads(meta["vigil.preprocessing"])
    cfg, enc, sc = p["config"], p["encoder"], p["scaler"]
    features = cfg["features"]
    pick = [cfg["columns"].index(f) for f in features]
    # Ordinal codes of the categorical feature columns; a category fit never saw gets unknownValue (-1).
    codes = {j: {c: k for k, c in enumerate(cats)} for j, cats in zip(enc["config"]["categorical"], enc["categories"])}
    unknown = enc["config"]["unknownValue"]
    x = np.empty((len(rows), len(pick)), dtype=np.float32)
    for i, row in enumerate(rows):
        for j, c in enumerate(pick):
            x[i, j] = codes[j].get(row[c], unknown) if j in codes else float(row[c])
    # Every step computes in float64 from the float32 values and rounds to float32 once, as vigil does.
    for name in cfg["log"]:
        j = features.index(name)
        v = x[:, j].astype(np.float64)
        x[:, j] = (np.sign(v) * np.log1p(np.abs(v))).astype(np.float32)
    if sc is not None and sc["type"] == "StandardScaler":
        mean = np.asarray(sc["mean"]) if sc["config"]["withMean"] else 0.0
        scale = np.asarray(sc["scale"]) if sc["config"]["withStd"] else 1.0
        x = ((x.astype(np.float64) - mean) / scale).astype(np.float32)
    elif sc is not None and sc["type"] == "MinMaxScaler":
        lo, hi = sc["config"]["featureRange"]
        dmin, dmax = np.asarray(sc["dataMin"]), np.asarray(sc["dataMax"])
        span = dmax - dmin
        scale = (hi - lo) / np.where(span < 10 * np.finfo(np.float64).eps, 1.0, span)
        x = (x.astype(np.float64) * scale + (lo - dmin * scale)).astype(np.float32)
        if sc["config"]["clip"]:
            x = np.clip(x, np.float32(lo), np.float32(hi))
    if cfg["clip"] is not None:
        x = np.clip(x, np.float32(-cfg["clip"]), np.float32(cfg["clip"])).astype(np.float32)
    return x


def is_anomaly(meta, anomaly_score):
    """A detector's decision from its `anomaly_score` output: above `vigil.threshold` (vigil's predict)."""
    return np.asarray(anomaly_score).reshape(-1) > float(meta["vigil.threshold"])
