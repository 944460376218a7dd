// The addon's entry point: one registration call per kernel family (native/glue/<family>.cc).
#include <napi.h>

#include "glue/families.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
#define VIGIL_REGISTER(family) vigil::glue::register_##family(env, exports);
  VIGIL_FAMILIES(VIGIL_REGISTER)
#undef VIGIL_REGISTER
  return exports;
}

}  // namespace

NODE_API_MODULE(vigil, Init)
