// Every kernel family's glue registers its bindings here; addon.cc calls them all.
#pragma once
#include <napi.h>

#define VIGIL_FAMILIES(X) \
  X(backend)              \
  X(scan)                 \
  X(random)               \
  X(gemm)                 \
  X(lstm)                 \
  X(rnn)                  \
  X(embedding)            \
  X(dense)                \
  X(activation)           \
  X(loss)                 \
  X(dropout)              \
  X(optimizer)            \
  X(conv1d)               \
  X(pool1d)               \
  X(iforest)              \
  X(ocsvm)                \
  X(rbm)                  \
  X(session)

namespace vigil {
namespace glue {
#define VIGIL_DECLARE(family) void register_##family(Napi::Env env, Napi::Object exports);
VIGIL_FAMILIES(VIGIL_DECLARE)
#undef VIGIL_DECLARE
}  // namespace glue
}  // namespace vigil
