// SimpleRNN bindings: the LSTM's argument list without the cell-state slots (see glue/lstm.cc).
#include "cpu/rnn.h"
#include "glue/common.h"
#include "glue/families.h"

namespace vigil {
namespace glue {

struct RecurrentKernels {
  const char* prefix;
  int64_t gatesPerHidden;
  bool hasCell;
  int64_t (*cacheSize)(int64_t, int64_t, int64_t);
  void (*forward)(const RecurrentArgs&, float* cache, float* y, float* hLast, float* cLast, float* yMax);
  void (*backward)(const RecurrentArgs&, float* cache, const RecurrentGrads&);
};
// Defined in glue/lstm.cc.
void defineRecurrent(Napi::Env env, Napi::Object exports, const RecurrentKernels& k);

void register_rnn(Napi::Env env, Napi::Object exports) {
  defineRecurrent(env, exports, RecurrentKernels{"rnn", 1, false, rnnCacheSize, rnnForward, rnnBackward});
}

}  // namespace glue
}  // namespace vigil
