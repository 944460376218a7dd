"""The benchmark model, in one place for the PyTorch peer and the ONNX fixture:
Embedding(64, 32) -> LSTM(64, batch_first) -> last step -> Linear(64, 1) (sigmoid at inference)."""
import torch
from torch import nn

VOCAB, EMBED, HIDDEN = 64, 32, 64


class LstmClassifier(nn.Module):
    def __init__(self, probabilities=False):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, EMBED)
        self.lstm = nn.LSTM(EMBED, HIDDEN, batch_first=True)
        self.dense = nn.Linear(HIDDEN, 1)
        # Training uses BCEWithLogits on the logit; the exported model ends with the sigmoid, like Keras'.
        self.probabilities = probabilities

    def forward(self, tokens):
        _, (h, _) = self.lstm(self.embed(tokens))
        # h[-1] is the hidden state after the last step: the same as out[:, -1, :] for full-length sequences.
        logit = self.dense(h[-1])
        return torch.sigmoid(logit) if self.probabilities else logit
