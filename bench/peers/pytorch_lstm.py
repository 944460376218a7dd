"""PyTorch CPU peer for the lstm suite. Usage: python3 pytorch_lstm.py '<json config>' where config is
{"threads": n, "repeats": r, "cases": [{"T":.., "batch":.., "tokens": path (int32 [batch, T]),
"labels": path (float32 [batch])}, ...]}.
infer: forward under torch.inference_mode. train: zero_grad + forward + BCEWithLogits + backward + Adam step.
Prints one JSON line: {"torch": version, "threads": n, "results": [{"T", "batch", "infer", "train"}, ...]}
with infer and train in sequences per second."""
import json
import sys

import torch

from lstm_model import LstmClassifier
from timing import measure, read_tensor, set_threads


def main():
    cfg = json.loads(sys.argv[1])
    set_threads(torch, cfg['threads'])
    torch.manual_seed(0)
    model = LstmClassifier()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    out = []
    for c in cfg['cases']:
        T, batch = c['T'], c['batch']
        # nn.Embedding wants int64 ids; the conversion is done once, outside the timing.
        tokens = read_tensor(torch, c['tokens'], torch.int32, (batch, T)).long()
        labels = read_tensor(torch, c['labels'], torch.float32, (batch, 1))

        def infer():
            with torch.inference_mode():
                model(tokens)

        def train():
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(tokens), labels)
            loss.backward()
            opt.step()

        model.eval()
        t_infer = measure(infer, cfg['repeats'])
        model.train()
        t_train = measure(train, cfg['repeats'])
        out.append({'T': T, 'batch': batch, 'infer': batch / t_infer, 'train': batch / t_train})
    print(json.dumps({'torch': torch.__version__, 'threads': torch.get_num_threads(), 'results': out}))


if __name__ == '__main__':
    main()
