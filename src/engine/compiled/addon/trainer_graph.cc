// trainer_graph: a thin N-API binding of TensorFlow's graph C API, for the compiled training
// step (src/engine/compiled/). It knows nothing of models or optimizers: TypeScript builds the
// graph op by op (addOp), asks TensorFlow's own gradient registry for the gradients
// (addGradients), and runs the whole step with one TF_SessionRun per call (run).
//
// Values cross the boundary as typed arrays, copied once each way. Every TF_Status failure
// becomes a JavaScript Error carrying TensorFlow's message.
#include <node_api.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "tensorflow/c/c_api.h"

namespace {

struct Graph {
  TF_Graph* graph;
};

struct Session {
  TF_Session* session;
  TF_Graph* graph;  // owned by its Graph wrapper; the graph outlives every session made from it
};

struct StatusGuard {
  TF_Status* s = TF_NewStatus();
  ~StatusGuard() { TF_DeleteStatus(s); }
};

// Throws a JS error and answers false when the call failed.
bool ok(napi_env env, TF_Status* status, const char* what) {
  if (TF_GetCode(status) == TF_OK) return true;
  std::string message = std::string(what) + ": " + TF_Message(status);
  napi_throw_error(env, nullptr, message.c_str());
  return false;
}

bool fail(napi_env env, const std::string& message) {
  napi_throw_error(env, nullptr, message.c_str());
  return false;
}

bool getArgs(napi_env env, napi_callback_info info, size_t want, napi_value* argv) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok) return fail(env, "bad call");
  if (argc < want) return fail(env, "too few arguments");
  return true;
}

bool getString(napi_env env, napi_value v, std::string* out) {
  size_t len = 0;
  if (napi_get_value_string_utf8(env, v, nullptr, 0, &len) != napi_ok) return fail(env, "a string was expected");
  out->resize(len);
  napi_get_value_string_utf8(env, v, out->data(), len + 1, &len);
  return true;
}

bool getInt64(napi_env env, napi_value v, int64_t* out) {
  if (napi_get_value_int64(env, v, out) != napi_ok) return fail(env, "a number was expected");
  return true;
}

bool getDouble(napi_env env, napi_value v, double* out) {
  if (napi_get_value_double(env, v, out) != napi_ok) return fail(env, "a number was expected");
  return true;
}

uint32_t arrayLength(napi_env env, napi_value v) {
  uint32_t n = 0;
  napi_get_array_length(env, v, &n);
  return n;
}

napi_value element(napi_env env, napi_value array, uint32_t i) {
  napi_value out;
  napi_get_element(env, array, i, &out);
  return out;
}

bool getInt64s(napi_env env, napi_value array, std::vector<int64_t>* out) {
  bool isArray = false;
  napi_is_array(env, array, &isArray);
  if (!isArray) return fail(env, "an array of numbers was expected");
  uint32_t n = arrayLength(env, array);
  out->resize(n);
  for (uint32_t i = 0; i < n; i++)
    if (!getInt64(env, element(env, array, i), &(*out)[i])) return false;
  return true;
}

template <typename T>
bool unwrap(napi_env env, napi_value v, T** out, const char* what) {
  void* data = nullptr;
  if (napi_get_value_external(env, v, &data) != napi_ok || data == nullptr) return fail(env, std::string(what) + " expected");
  *out = static_cast<T*>(data);
  return true;
}

// An output reference: [operationName, index].
bool getOutput(napi_env env, TF_Graph* graph, napi_value ref, TF_Output* out) {
  std::string name;
  int64_t index = 0;
  if (!getString(env, element(env, ref, 0), &name) || !getInt64(env, element(env, ref, 1), &index)) return false;
  TF_Operation* op = TF_GraphOperationByName(graph, name.c_str());
  if (op == nullptr) return fail(env, "no operation named " + name);
  *out = TF_Output{op, static_cast<int>(index)};
  return true;
}

// A list of output refs into `out` (resized to the list's length).
bool getOutputs(napi_env env, TF_Graph* graph, napi_value refs, std::vector<TF_Output>* out) {
  out->resize(arrayLength(env, refs));
  for (uint32_t i = 0; i < out->size(); i++)
    if (!getOutput(env, graph, element(env, refs, i), &(*out)[i])) return false;
  return true;
}

napi_value outputRef(napi_env env, TF_Output output) {
  napi_value ref, name, index;
  napi_create_array_with_length(env, 2, &ref);
  napi_create_string_utf8(env, TF_OperationName(output.oper), NAPI_AUTO_LENGTH, &name);
  napi_create_int32(env, output.index, &index);
  napi_set_element(env, ref, 0, name);
  napi_set_element(env, ref, 1, index);
  return ref;
}

size_t dtypeSize(TF_DataType dtype) {
  switch (dtype) {
    case TF_FLOAT:
    case TF_INT32:
      return 4;
    case TF_INT64:
    case TF_DOUBLE:
      return 8;
    case TF_BOOL:
      return 1;
    default:
      return 0;
  }
}

// A tensor from { dtype, shape, data: TypedArray } (the data is copied).
bool makeTensor(napi_env env, TF_DataType dtype, const std::vector<int64_t>& shape, napi_value data, TF_Tensor** out) {
  size_t width = dtypeSize(dtype);
  if (width == 0) return fail(env, "unsupported dtype " + std::to_string(dtype));
  int64_t count = 1;
  for (int64_t d : shape) count *= d;
  napi_typedarray_type type;
  size_t length = 0;
  void* bytes = nullptr;
  if (napi_get_typedarray_info(env, data, &type, &length, &bytes, nullptr, nullptr) != napi_ok)
    return fail(env, "tensor data must be a typed array");
  size_t elementSize = type == napi_float32_array || type == napi_int32_array ? 4
                       : type == napi_float64_array || type == napi_bigint64_array ? 8
                       : type == napi_uint8_array                                   ? 1
                                                                                    : 0;
  if (elementSize != width) return fail(env, "tensor data's element type does not match its dtype");
  if (static_cast<int64_t>(length) != count)
    return fail(env, "tensor data has " + std::to_string(length) + " elements, its shape needs " + std::to_string(count));
  TF_Tensor* tensor = TF_AllocateTensor(dtype, shape.data(), static_cast<int>(shape.size()), count * width);
  if (count > 0) std::memcpy(TF_TensorData(tensor), bytes, count * width);
  *out = tensor;
  return true;
}

bool tensorFromObject(napi_env env, napi_value object, TF_Tensor** out) {
  napi_value dtypeValue, shapeValue, dataValue;
  napi_get_named_property(env, object, "dtype", &dtypeValue);
  napi_get_named_property(env, object, "shape", &shapeValue);
  napi_get_named_property(env, object, "data", &dataValue);
  int64_t dtype = 0;
  std::vector<int64_t> shape;
  if (!getInt64(env, dtypeValue, &dtype) || !getInt64s(env, shapeValue, &shape)) return false;
  return makeTensor(env, static_cast<TF_DataType>(dtype), shape, dataValue, out);
}

// One attribute: [name, kind, value].
bool setAttr(napi_env env, TF_OperationDescription* desc, napi_value attr) {
  std::string name, kind;
  if (!getString(env, element(env, attr, 0), &name) || !getString(env, element(env, attr, 1), &kind)) return false;
  napi_value value = element(env, attr, 2);
  if (kind == "int") {
    int64_t v;
    if (!getInt64(env, value, &v)) return false;
    TF_SetAttrInt(desc, name.c_str(), v);
  } else if (kind == "float") {
    double v;
    if (!getDouble(env, value, &v)) return false;
    TF_SetAttrFloat(desc, name.c_str(), static_cast<float>(v));
  } else if (kind == "bool") {
    bool v = false;
    if (napi_get_value_bool(env, value, &v) != napi_ok) return fail(env, "attr " + name + ": a boolean was expected");
    TF_SetAttrBool(desc, name.c_str(), v ? 1 : 0);
  } else if (kind == "type") {
    int64_t v;
    if (!getInt64(env, value, &v)) return false;
    TF_SetAttrType(desc, name.c_str(), static_cast<TF_DataType>(v));
  } else if (kind == "shape") {
    std::vector<int64_t> dims;
    if (!getInt64s(env, value, &dims)) return false;
    TF_SetAttrShape(desc, name.c_str(), dims.data(), static_cast<int>(dims.size()));
  } else if (kind == "ints") {
    std::vector<int64_t> values;
    if (!getInt64s(env, value, &values)) return false;
    TF_SetAttrIntList(desc, name.c_str(), values.data(), static_cast<int>(values.size()));
  } else if (kind == "string") {
    std::string v;
    if (!getString(env, value, &v)) return false;
    TF_SetAttrString(desc, name.c_str(), v.data(), v.size());
  } else if (kind == "tensor") {
    TF_Tensor* tensor = nullptr;
    if (!tensorFromObject(env, value, &tensor)) return false;
    StatusGuard status;
    TF_SetAttrTensor(desc, name.c_str(), tensor, status.s);
    TF_DeleteTensor(tensor);
    if (!ok(env, status.s, ("attr " + name).c_str())) return false;
  } else {
    return fail(env, "attr " + name + ": unknown kind " + kind);
  }
  return true;
}

void finalizeGraph(napi_env, void* data, void*) {
  auto* g = static_cast<Graph*>(data);
  if (g->graph != nullptr) TF_DeleteGraph(g->graph);
  delete g;
}

// Frees the session's resources (its variables, its executors); safe to call twice.
void closeSession(Session* s) {
  if (s->session == nullptr) return;
  StatusGuard status;
  TF_CloseSession(s->session, status.s);
  TF_DeleteSession(s->session, status.s);
  s->session = nullptr;
}

void finalizeSession(napi_env, void* data, void*) {
  auto* s = static_cast<Session*>(data);
  closeSession(s);
  delete s;
}

// newGraph() -> Graph
napi_value NewGraph(napi_env env, napi_callback_info) {
  auto* g = new Graph{TF_NewGraph()};
  napi_value out;
  napi_create_external(env, g, finalizeGraph, nullptr, &out);
  return out;
}

// addOp(graph, type, name, inputs, attrs, controlInputs) -> number of outputs.
// inputs: each an output ref [name, index], or an array of refs for a list input.
napi_value AddOp(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  if (!getArgs(env, info, 6, argv)) return nullptr;
  Graph* g;
  std::string type, name;
  if (!unwrap(env, argv[0], &g, "a graph") || !getString(env, argv[1], &type) || !getString(env, argv[2], &name)) return nullptr;
  TF_OperationDescription* desc = TF_NewOperation(g->graph, type.c_str(), name.c_str());
  // On a bad argument the description is finished anyway (it frees it; the op is not added).
  auto abandon = [&]() {
    StatusGuard ignored;
    TF_FinishOperation(desc, ignored.s);
    return nullptr;
  };
  uint32_t inputCount = arrayLength(env, argv[3]);
  for (uint32_t i = 0; i < inputCount; i++) {
    napi_value input = element(env, argv[3], i);
    napi_valuetype firstType;
    napi_typeof(env, element(env, input, 0), &firstType);
    if (firstType == napi_string) {
      TF_Output output;
      if (!getOutput(env, g->graph, input, &output)) return abandon();
      TF_AddInput(desc, output);
    } else {
      std::vector<TF_Output> list(arrayLength(env, input));
      for (uint32_t k = 0; k < list.size(); k++)
        if (!getOutput(env, g->graph, element(env, input, k), &list[k])) return abandon();
      TF_AddInputList(desc, list.data(), static_cast<int>(list.size()));
    }
  }
  uint32_t attrCount = arrayLength(env, argv[4]);
  for (uint32_t i = 0; i < attrCount; i++)
    if (!setAttr(env, desc, element(env, argv[4], i))) return abandon();
  uint32_t controlCount = arrayLength(env, argv[5]);
  for (uint32_t i = 0; i < controlCount; i++) {
    std::string control;
    if (!getString(env, element(env, argv[5], i), &control)) return abandon();
    TF_Operation* op = TF_GraphOperationByName(g->graph, control.c_str());
    if (op == nullptr) return fail(env, "no operation named " + control), abandon();
    TF_AddControlInput(desc, op);
  }
  StatusGuard status;
  TF_Operation* op = TF_FinishOperation(desc, status.s);
  if (!ok(env, status.s, (type + " " + name).c_str())) return nullptr;
  napi_value out;
  napi_create_int32(env, TF_OperationNumOutputs(op), &out);
  return out;
}

// outputShape(graph, ref) -> dims (-1 unknown), or null when the rank is unknown.
napi_value OutputShape(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!getArgs(env, info, 2, argv)) return nullptr;
  Graph* g;
  TF_Output output;
  if (!unwrap(env, argv[0], &g, "a graph") || !getOutput(env, g->graph, argv[1], &output)) return nullptr;
  StatusGuard status;
  int rank = TF_GraphGetTensorNumDims(g->graph, output, status.s);
  if (!ok(env, status.s, "outputShape")) return nullptr;
  napi_value out;
  if (rank < 0) {
    napi_get_null(env, &out);
    return out;
  }
  std::vector<int64_t> dims(rank);
  TF_GraphGetTensorShape(g->graph, output, dims.data(), rank, status.s);
  if (!ok(env, status.s, "outputShape")) return nullptr;
  napi_create_array_with_length(env, rank, &out);
  for (int i = 0; i < rank; i++) {
    napi_value d;
    napi_create_int64(env, dims[i], &d);
    napi_set_element(env, out, i, d);
  }
  return out;
}

// addGradients(graph, prefix, ys, xs) -> one ref per x (null where y does not depend on it):
// d(sum of ys)/dx, from TensorFlow's C++ gradient registry.
napi_value AddGradients(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!getArgs(env, info, 4, argv)) return nullptr;
  Graph* g;
  std::string prefix;
  if (!unwrap(env, argv[0], &g, "a graph") || !getString(env, argv[1], &prefix)) return nullptr;
  std::vector<TF_Output> ys, xs;
  if (!getOutputs(env, g->graph, argv[2], &ys) || !getOutputs(env, g->graph, argv[3], &xs)) return nullptr;
  std::vector<TF_Output> dy(xs.size());
  StatusGuard status;
  TF_AddGradientsWithPrefix(g->graph, prefix.c_str(), ys.data(), static_cast<int>(ys.size()), xs.data(),
                            static_cast<int>(xs.size()), nullptr, status.s, dy.data());
  if (!ok(env, status.s, "addGradients")) return nullptr;
  napi_value out;
  napi_create_array_with_length(env, dy.size(), &out);
  for (uint32_t i = 0; i < dy.size(); i++) {
    napi_value ref;
    if (dy[i].oper == nullptr)
      napi_get_null(env, &ref);
    else
      ref = outputRef(env, dy[i]);
    napi_set_element(env, out, i, ref);
  }
  return out;
}

// newSession(graph, configProto: Uint8Array) -> Session
napi_value NewSession(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!getArgs(env, info, 2, argv)) return nullptr;
  Graph* g;
  if (!unwrap(env, argv[0], &g, "a graph")) return nullptr;
  napi_typedarray_type type;
  size_t length = 0;
  void* bytes = nullptr;
  if (napi_get_typedarray_info(env, argv[1], &type, &length, &bytes, nullptr, nullptr) != napi_ok || type != napi_uint8_array)
    return fail(env, "the session config must be a Uint8Array"), nullptr;
  StatusGuard status;
  TF_SessionOptions* options = TF_NewSessionOptions();
  if (length > 0) TF_SetConfig(options, bytes, length, status.s);
  TF_Session* session = TF_GetCode(status.s) == TF_OK ? TF_NewSession(g->graph, options, status.s) : nullptr;
  TF_DeleteSessionOptions(options);
  if (!ok(env, status.s, "newSession")) return nullptr;
  auto* s = new Session{session, g->graph};
  napi_value out;
  napi_create_external(env, s, finalizeSession, nullptr, &out);
  return out;
}

napi_value tensorToJs(napi_env env, TF_Tensor* tensor) {
  TF_DataType dtype = TF_TensorType(tensor);
  int rank = TF_NumDims(tensor);
  napi_value result, shape, dtypeValue, data;
  napi_create_object(env, &result);
  napi_create_array_with_length(env, rank, &shape);
  int64_t count = 1;
  for (int i = 0; i < rank; i++) {
    int64_t d = TF_Dim(tensor, i);
    count *= d;
    napi_value dim;
    napi_create_int64(env, d, &dim);
    napi_set_element(env, shape, i, dim);
  }
  size_t width = dtypeSize(dtype);
  napi_typedarray_type arrayType = dtype == TF_FLOAT ? napi_float32_array
                                   : dtype == TF_INT32 ? napi_int32_array
                                   : dtype == TF_INT64 ? napi_bigint64_array
                                   : dtype == TF_DOUBLE ? napi_float64_array
                                                        : napi_uint8_array;
  void* bytes = nullptr;
  napi_value buffer;
  napi_create_arraybuffer(env, count * width, &bytes, &buffer);
  if (count > 0) std::memcpy(bytes, TF_TensorData(tensor), count * width);
  napi_create_typedarray(env, arrayType, count, buffer, 0, &data);
  napi_create_int32(env, dtype, &dtypeValue);
  napi_set_named_property(env, result, "dtype", dtypeValue);
  napi_set_named_property(env, result, "shape", shape);
  napi_set_named_property(env, result, "data", data);
  return result;
}

// run(session, feeds, fetches, targets[, runOptions]) -> fetched tensors as { dtype, shape, data }.
// feeds: [[ref, { dtype, shape, data }], …]; fetches: refs; targets: operation names.
// With runOptions (a serialized tensorflow.RunOptions, e.g. a trace level), the answer is
// { outputs, metadata }, metadata the serialized tensorflow.RunMetadata (its step stats).
napi_value Run(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  size_t argc = 5;
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc < 4) return fail(env, "too few arguments"), nullptr;
  TF_Buffer* runOptions = nullptr;
  TF_Buffer* metadata = nullptr;
  if (argc >= 5) {
    napi_typedarray_type type;
    size_t length = 0;
    void* bytes = nullptr;
    if (napi_get_typedarray_info(env, argv[4], &type, &length, &bytes, nullptr, nullptr) != napi_ok || type != napi_uint8_array)
      return fail(env, "runOptions must be a Uint8Array"), nullptr;
    runOptions = TF_NewBufferFromString(bytes, length);
    metadata = TF_NewBuffer();
  }
  struct Buffers {
    TF_Buffer* a;
    TF_Buffer* b;
    ~Buffers() {
      if (a != nullptr) TF_DeleteBuffer(a);
      if (b != nullptr) TF_DeleteBuffer(b);
    }
  } buffers{runOptions, metadata};
  Session* s;
  if (!unwrap(env, argv[0], &s, "a session")) return nullptr;
  if (s->session == nullptr) return fail(env, "the session is closed"), nullptr;
  uint32_t feedCount = arrayLength(env, argv[1]);
  std::vector<TF_Output> inputs(feedCount);
  std::vector<TF_Tensor*> inputValues(feedCount, nullptr);
  auto freeInputs = [&]() {
    for (TF_Tensor* t : inputValues)
      if (t != nullptr) TF_DeleteTensor(t);
  };
  for (uint32_t i = 0; i < feedCount; i++) {
    napi_value feed = element(env, argv[1], i);
    if (!getOutput(env, s->graph, element(env, feed, 0), &inputs[i]) || !tensorFromObject(env, element(env, feed, 1), &inputValues[i])) {
      freeInputs();
      return nullptr;
    }
  }
  std::vector<TF_Output> outputs;
  if (!getOutputs(env, s->graph, argv[2], &outputs)) return freeInputs(), nullptr;
  std::vector<const TF_Operation*> targets(arrayLength(env, argv[3]));
  for (uint32_t i = 0; i < targets.size(); i++) {
    std::string name;
    if (!getString(env, element(env, argv[3], i), &name)) return freeInputs(), nullptr;
    targets[i] = TF_GraphOperationByName(s->graph, name.c_str());
    if (targets[i] == nullptr) return freeInputs(), fail(env, "no operation named " + name), nullptr;
  }
  std::vector<TF_Tensor*> outputValues(outputs.size(), nullptr);
  StatusGuard status;
  TF_SessionRun(s->session, runOptions, inputs.data(), inputValues.data(), static_cast<int>(feedCount), outputs.data(),
                outputValues.data(), static_cast<int>(outputs.size()), targets.data(), static_cast<int>(targets.size()),
                metadata, status.s);
  freeInputs();
  if (!ok(env, status.s, "run")) return nullptr;
  napi_value out;
  napi_create_array_with_length(env, outputs.size(), &out);
  for (uint32_t i = 0; i < outputs.size(); i++) {
    napi_set_element(env, out, i, tensorToJs(env, outputValues[i]));
    TF_DeleteTensor(outputValues[i]);
  }
  if (metadata == nullptr) return out;
  napi_value result, bytes;
  void* data = nullptr;
  napi_value buffer;
  napi_create_arraybuffer(env, metadata->length, &data, &buffer);
  if (metadata->length > 0) std::memcpy(data, metadata->data, metadata->length);
  napi_create_typedarray(env, napi_uint8_array, metadata->length, buffer, 0, &bytes);
  napi_create_object(env, &result);
  napi_set_named_property(env, result, "outputs", out);
  napi_set_named_property(env, result, "metadata", bytes);
  return result;
}

// closeSession(session): frees the session's resources now rather than at garbage collection.
napi_value CloseSession(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!getArgs(env, info, 1, argv)) return nullptr;
  Session* s;
  if (!unwrap(env, argv[0], &s, "a session")) return nullptr;
  closeSession(s);
  return nullptr;
}

napi_value Version(napi_env env, napi_callback_info) {
  napi_value out;
  napi_create_string_utf8(env, TF_Version(), NAPI_AUTO_LENGTH, &out);
  return out;
}

napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor properties[] = {
      {"newGraph", nullptr, NewGraph, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"addOp", nullptr, AddOp, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"outputShape", nullptr, OutputShape, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"addGradients", nullptr, AddGradients, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"newSession", nullptr, NewSession, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"run", nullptr, Run, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"closeSession", nullptr, CloseSession, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"version", nullptr, Version, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
  };
  napi_define_properties(env, exports, sizeof(properties) / sizeof(properties[0]), properties);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
