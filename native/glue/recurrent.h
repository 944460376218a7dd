// The recurrent families' common binding: the LSTM and the SimpleRNN register the same argument
// lists (the RNN without the cell-state slots) through one definer, glue/lstm.cc's
// defineRecurrent, parameterised by the family's kernels.
#pragma once
#include "cpu/lstm.h"
#include "glue/common.h"

namespace vigil {
namespace glue {

struct RecurrentKernels {
  const char* prefix;      // "lstm" or "rnn"
  int64_t gatesPerHidden;  // 4 or 1
  bool hasCell;
  int64_t (*cacheSize)(int64_t, int64_t, int64_t);
  void (*forward)(const RecurrentArgs&, float* cache, float* y, float* hLast, float* cLast, float* yMax);
  void (*backward)(const RecurrentArgs&, float* cache, const RecurrentGrads&);
};

// Registers <prefix>Forward, <prefix>Backward, <prefix>CacheSize (and their Async forms).
void defineRecurrent(Napi::Env env, Napi::Object exports, const RecurrentKernels& k);

}  // namespace glue
}  // namespace vigil
