# The compiled training step's addon (trainer_graph.node): a thin N-API binding of TensorFlow's
# graph C API (build a graph, add gradients, run a session), linked against the libtensorflow
# that `npm run native` unpacked. The addon is kept as .native/trainer_graph.node beside
# .native/tensorflow/, so its rpath is relative ($ORIGIN/tensorflow) and a build (or a cached one)
# serves any checkout. Built by scripts/native.ts:
#   node-gyp rebuild --tensorflow_include=DIR --tensorflow_lib=DIR
{
  "targets": [
    {
      "target_name": "trainer_graph",
      "sources": ["trainer_graph.cc"],
      "include_dirs": ["<(tensorflow_include)"],
      "cflags_cc": ["-std=c++17", "-O2"],
      "cflags_cc!": ["-fno-exceptions"],
      "libraries": [
        "-L<(tensorflow_lib)",
        "-l:libtensorflow_cc.so.2",
        "-l:libtensorflow_framework.so.2",
        "-Wl,-rpath,\\$$ORIGIN/tensorflow"
      ],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
