"""A peer of `npm run bench`: the same models, batch and optimizer in PyTorch on the CPU.

Usage: <python> test/bench/torch_bench.py <mlp|cnn> <data.bin> <threads> [runs]

<python> is the bench's venv (PyTorch 2.13, test/bench/peers.ts) or Debian's /usr/bin/python3
(python3-torch, PyTorch 1.13): the script runs on both.

data.bin (written by run.ts from our own dataset generator): int32 count, int32 features per
example, then count*features float32 pixels (0..1), then count float32 labels (0..9).

The loop is the plain PyTorch one: the tensors are built once, each epoch takes a random
permutation, each step indexes a batch, runs forward/backward/Adam and reads the loss back
with .item() (as our loop reads its loss every step). Softmax + categorical cross-entropy is
written as PyTorch users write it: logits and nn.CrossEntropyLoss (log-softmax + NLL), the
same function. Adam(lr=1e-3, betas=(0.9, 0.999), eps=1e-7) as Keras' defaults. Timed: the
two epochs only; one throw-away run first; the median of the runs. Prints one JSON line.
"""
import json
import struct
import sys
import time

import numpy as np
import torch
from torch import nn

model_name, path, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
runs = int(sys.argv[4]) if len(sys.argv) > 4 else 2
default_threads = torch.get_num_threads()
torch.set_num_threads(threads)
torch.manual_seed(1)

EPOCHS, BATCH, LR = 2, 64, 1e-3

with open(path, 'rb') as f:
    count, width = struct.unpack('<ii', f.read(8))
    x = np.frombuffer(f.read(count * width * 4), dtype='<f4').reshape(count, width)
    y = np.frombuffer(f.read(count * 4), dtype='<f4').astype(np.int64)

xs = torch.from_numpy(x.copy())
if model_name == 'cnn':
    xs = xs.reshape(count, 1, 28, 28)  # our [28, 28, 1] with one channel is the same memory as NCHW
ys = torch.from_numpy(y)


def build():
    if model_name == 'mlp':
        return nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
    return nn.Sequential(nn.Conv2d(1, 8, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(8 * 13 * 13, 10))


def run():
    model = build()
    opt = torch.optim.Adam(model.parameters(), lr=LR, betas=(0.9, 0.999), eps=1e-7)
    loss_fn = nn.CrossEntropyLoss()
    losses = []
    started = time.perf_counter()
    for _ in range(EPOCHS):
        epoch_loss, steps = 0.0, 0
        order = torch.randperm(count)
        for start in range(0, count, BATCH):
            idx = order[start:start + BATCH]
            opt.zero_grad()
            loss = loss_fn(model(xs[idx]), ys[idx])
            loss.backward()
            opt.step()
            epoch_loss += loss.item()
            steps += 1
        losses.append(epoch_loss / steps)
    return time.perf_counter() - started, losses


run()  # warm-up
times = []
last = []
for _ in range(runs):
    seconds, last = run()
    times.append(seconds)
seconds = sorted(times)[len(times) // 2]  # the median, as run.ts reports
print(json.dumps({
    'model': model_name, 'torch': torch.__version__, 'threads': threads, 'defaultThreads': default_threads,
    'samples': count * EPOCHS, 'runSeconds': times, 'seconds': seconds,
    'samplesPerSecond': count * EPOCHS / seconds, 'epochLosses': last,
}))
