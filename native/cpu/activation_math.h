// Scalar activation helpers shared by the portable recurrent kernels.
#pragma once
#include <cmath>

namespace vigil {

inline float sigmoidScalar(float x) { return 1.0f / (1.0f + std::exp(-x)); }
inline float tanhScalar(float x) { return std::tanh(x); }

}  // namespace vigil
