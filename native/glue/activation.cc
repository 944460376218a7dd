#include "glue/common.h"
#include "glue/families.h"

namespace vigil {
namespace glue {

void register_activation(Napi::Env env, Napi::Object exports) {}

}  // namespace glue
}  // namespace vigil
