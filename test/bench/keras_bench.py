"""A peer of `npm run bench`: the same models, batch and optimizer in Keras 3 on TensorFlow, the
way a Keras user trains them: `model.fit`.

Usage: <venv>/bin/python test/bench/keras_bench.py <mlp|cnn> <data.bin> [runs] [xla]

<venv> is the bench's own (TensorFlow 2.21, test/bench/peers.ts); KERAS_BACKEND=tensorflow.
data.bin: as torch_bench.py reads it (run.ts's exportMnist).

The model is our job's, layer for layer: softmax outputs and `categorical_crossentropy` on
one-hot labels, Adam(1e-3, beta 0.9/0.999, epsilon 1e-7), batch 64, 2 epochs, shuffled every
epoch. XLA stays off (`jit_compile=False`: what Keras' default 'auto' resolves to on a machine
without a GPU, i.e. what a new user gets); pass `xla` to try it on. TensorFlow's threads are
its defaults (0 = one per core). One throw-away fit first (it traces the train function); then
`runs` timed fits of 2 epochs on the same model, each from its initial weights and a fresh Adam
state (set back untimed, so the traced function is reused, not traced again), each timed around
`fit` alone; the median is reported. Prints one JSON line.
"""
import json
import os
import struct
import sys
import time

import numpy as np
import keras
import tensorflow as tf

model_name, path = sys.argv[1], sys.argv[2]
runs = int(sys.argv[3]) if len(sys.argv) > 3 else 2
xla = len(sys.argv) > 4 and sys.argv[4] == 'xla'
keras.utils.set_random_seed(1)

EPOCHS, BATCH, LR = 2, 64, 1e-3

with open(path, 'rb') as f:
    count, width = struct.unpack('<ii', f.read(8))
    x = np.frombuffer(f.read(count * width * 4), dtype='<f4').reshape(count, width).copy()
    labels = np.frombuffer(f.read(count * 4), dtype='<f4').astype(np.int64)

y = np.zeros((count, 10), dtype=np.float32)
y[np.arange(count), labels] = 1.0
if model_name == 'cnn':
    x = x.reshape(count, 28, 28, 1)  # our image shape, channels last as Keras' default


def build():
    if model_name == 'mlp':
        layers = [keras.Input((784,)), keras.layers.Dense(128, activation='relu'), keras.layers.Dense(10, activation='softmax')]
    else:
        layers = [
            keras.Input((28, 28, 1)),
            keras.layers.Conv2D(8, 3, activation='relu'),
            keras.layers.MaxPooling2D(2),
            keras.layers.Flatten(),
            keras.layers.Dense(10, activation='softmax'),
        ]
    model = keras.Sequential(layers)
    model.compile(
        optimizer=keras.optimizers.Adam(LR, beta_1=0.9, beta_2=0.999, epsilon=1e-7),
        loss='categorical_crossentropy',
        jit_compile=xla,
    )
    return model


def reset(model, initial):
    """Back to the freshly built model (weights and Adam's state) without a new train function."""
    model.set_weights(initial)
    for v in model.optimizer.variables:
        if v.name != 'learning_rate':
            v.assign(keras.ops.zeros(v.shape, v.dtype))


model = build()
initial = model.get_weights()
warmup = model.fit(x, y, batch_size=BATCH, epochs=1, shuffle=True, verbose=0)
times = []
losses = []
for _ in range(runs):
    reset(model, initial)
    started = time.perf_counter()
    history = model.fit(x, y, batch_size=BATCH, epochs=EPOCHS, shuffle=True, verbose=0)
    times.append(time.perf_counter() - started)
    losses = [float(v) for v in history.history['loss']]
seconds = sorted(times)[len(times) // 2]
print(json.dumps({
    'model': model_name, 'tensorflow': tf.__version__, 'keras': keras.__version__, 'backend': keras.backend.backend(),
    'jitCompile': bool(model.jit_compile),
    'interOpThreads': tf.config.threading.get_inter_op_parallelism_threads(),
    'intraOpThreads': tf.config.threading.get_intra_op_parallelism_threads(),
    'threads': os.cpu_count(), 'onednn': os.environ.get('TF_ENABLE_ONEDNN_OPTS', 'default (on)'),
    'samples': count * EPOCHS, 'runSeconds': times, 'seconds': seconds, 'samplesPerSecond': count * EPOCHS / seconds,
    'warmupLosses': [float(v) for v in warmup.history['loss']], 'epochLosses': losses,
}))
