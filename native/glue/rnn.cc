// SimpleRNN bindings: the LSTM's argument list without the cell-state slots (see glue/lstm.cc).
#include "cpu/rnn.h"
#include "cuda/lstm.h"
#include "glue/common.h"
#include "glue/families.h"
#include "glue/recurrent.h"

namespace vigil {
namespace glue {

void register_rnn(Napi::Env env, Napi::Object exports) {
  defineRecurrent(env, exports,
                  RecurrentKernels{"rnn", "Rnn", 1, false, rnnCacheSize, rnnForward, rnnBackward, cuda::rnnForward,
                                   cuda::host::rnnForward, cuda::rnnBackward, cuda::host::rnnBackward,
                                   cuda::host::rnnForwardPersistent, cuda::host::rnnBackwardPersistent});
}

}  // namespace glue
}  // namespace vigil
