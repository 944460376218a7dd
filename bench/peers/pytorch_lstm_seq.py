"""PyTorch CPU peer for the lstm-seq suite: one training epoch of the book's NAB LSTM autoencoder.
Usage: python3 pytorch_lstm_seq.py '<json config>' where config is {"threads", "windows" (float32
[rows, T] file), "rows", "T", "batch", "repeats"}.

Model: LSTM(1 -> 64, batch_first) over every step -> Dropout(0.2) -> Linear(64, 1) on every step
(Keras' TimeDistributed(Dense(1))), the window as its own target, L1 loss (MAE), Adam (lr 1e-3),
batch 32, a fresh shuffle each epoch. Prints one JSON line {"torch", "threads", "seconds" (median
seconds per epoch after a warm-up epoch), "first", "last" (mean loss of the first and last epochs)}."""
import json
import sys

import torch
from torch import nn

from timing import measure, read_tensor, set_threads


class SeqAutoencoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(1, 64, batch_first=True)
        self.drop = nn.Dropout(0.2)
        self.dense = nn.Linear(64, 1)

    def forward(self, x):
        h, _ = self.lstm(x)
        return self.dense(self.drop(h))


def main():
    cfg = json.loads(sys.argv[1])
    set_threads(torch, cfg['threads'])
    torch.manual_seed(0)
    rows, T, B = cfg['rows'], cfg['T'], cfg['batch']
    x = read_tensor(torch, cfg['windows'], torch.float32, (rows, T, 1))
    model = SeqAutoencoder()
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.L1Loss()
    losses = []

    def epoch():
        order = torch.randperm(rows)
        total = 0.0
        for b0 in range(0, rows, B):
            xb = x[order[b0:b0 + B]]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(xb), xb)
            loss.backward()
            opt.step()
            total += loss.item() * len(xb)
        losses.append(total / rows)

    seconds = measure(epoch, cfg['repeats'])
    print(json.dumps({'torch': torch.__version__, 'threads': torch.get_num_threads(), 'seconds': seconds,
                      'first': losses[0], 'last': losses[-1]}))


if __name__ == '__main__':
    main()
