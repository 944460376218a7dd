"""PyTorch CPU peer for the fit suite: training of the log-breach model, batch by batch over the
epoch order vigil's fit uses. Usage: python3 pytorch_fit.py '<json config>' where config is
{"threads", "rows", "T", "batch", "vocab", "tokens" (int32 [rows, T], 'pre'-padded), "lengths" (int32 [rows]),
"labels" (float32 [rows]), "order" (int32 [rows]), "plan": {"packed": batches or null, "unpacked": ...}}.

Model: Embedding(vocab, 32) -> Dropout(0.5) -> LSTM(64, batch_first) -> Dropout(0.5) -> Linear(64, 1),
BCEWithLogits, Adam. nn.LSTM has no recurrent dropout, so this peer runs WITHOUT it (vigil's LSTM
applies a variational mask on h every step). Packed: each batch is cut to its longest sequence,
moved to post-padding (once, outside the timing) and run through pack_padded_sequence; the model
reads the last valid state. Unpacked: all T steps of the pre-padded batch, last step's state.
Prints one JSON line {"torch", "threads", "results": [{"packed", "seconds", "rows"}]}: seconds for
the first `plan` batches (null: all) after a small warm-up step."""
import json
import sys
import time

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from timing import read_tensor, set_threads


class LogBreach(nn.Module):
    def __init__(self, vocab):
        super().__init__()
        self.embed = nn.Embedding(vocab, 32)
        self.drop1 = nn.Dropout(0.5)
        self.lstm = nn.LSTM(32, 64, batch_first=True)
        self.drop2 = nn.Dropout(0.5)
        self.dense = nn.Linear(64, 1)

    def forward(self, tokens, lengths=None):
        x = self.drop1(self.embed(tokens))
        if lengths is not None:
            x = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        _, (h, _) = self.lstm(x)
        return self.dense(self.drop2(h[-1]))


def batches(cfg, tokens, lengths, labels, order, packed, count):
    T, B = cfg['T'], cfg['batch']
    nb = (cfg['rows'] + B - 1) // B
    out = []
    for k in range(nb if count is None else min(count, nb)):
        idx = order[k * B:(k + 1) * B].long()
        lens = lengths[idx]
        if packed:
            keep = int(lens.max())
            # Pre- to post-padding: row i's valid steps are its last lens[i] of T.
            src = tokens[idx]
            tok = torch.zeros((len(idx), keep), dtype=torch.long)
            for i in range(len(idx)):
                n = int(lens[i])
                tok[i, :n] = src[i, T - n:]
            out.append((tok, lens.clone(), labels[idx].reshape(-1, 1)))
        else:
            out.append((tokens[idx].long(), None, labels[idx].reshape(-1, 1)))
    return out


def main():
    cfg = json.loads(sys.argv[1])
    set_threads(torch, cfg['threads'])
    torch.manual_seed(0)
    rows, T = cfg['rows'], cfg['T']
    tokens = read_tensor(torch, cfg['tokens'], torch.int32, (rows, T))
    lengths = read_tensor(torch, cfg['lengths'], torch.int32, (rows,)).long()
    labels = read_tensor(torch, cfg['labels'], torch.float32, (rows,))
    order = read_tensor(torch, cfg['order'], torch.int32, (rows,))
    results = []
    for packed in (True, False):
        count = cfg['plan']['packed' if packed else 'unpacked']
        data = batches(cfg, tokens, lengths, labels, order, packed, count)
        model = LogBreach(cfg['vocab'])
        model.train()
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        loss_fn = nn.BCEWithLogitsLoss()

        def step(b):
            tok, lens, y = b
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(tok, lens), y)
            loss.backward()
            opt.step()

        # Warm-up on a small unpacked slice: PyTorch 1.13's packed-LSTM backward on CPU takes over a
        # minute per batch of this size (its forward half a second), so a full warm-up batch would
        # double the peer's time without changing what it measures.
        step((data[0][0][:4, :32], None, data[0][2][:4]))
        t0 = time.perf_counter()
        for b in data:
            step(b)
        seconds = time.perf_counter() - t0
        results.append({'packed': packed, 'seconds': seconds, 'rows': sum(len(b[2]) for b in data)})
    print(json.dumps({'torch': torch.__version__, 'threads': torch.get_num_threads(), 'results': results}))


if __name__ == '__main__':
    main()
