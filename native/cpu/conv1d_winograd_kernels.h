// The Winograd input and output transforms as templates over a GCC vector type, instantiated by
// conv1d_winograd_avx2.cc and conv1d_winograd_avx512.cc with their ISA enabled. The tables are
// expanded at compile time (if constexpr): zero coefficients cost nothing, +-1 an add or subtract,
// so each transform is the few adds the hand-written formulas would have.
#pragma once
#include <cstdint>
#include <cstring>
#include <utility>

#include "cpu/conv1d_winograd.h"
#include "cpu/conv1d_winograd_tables.h"

namespace vigil {
namespace winograd {
// Internal linkage: both ISA files instantiate the scalar-tail templates (V = float) too, and as
// weak symbols the linker would keep one copy, possibly the one compiled with -mavx512f, for both
// paths (seen at -O0, where they are not inlined): an AVX2-only CPU would then fault in it.
namespace {

template <class V>
inline V load(const float* p) {
  V v;
  std::memcpy(&v, p, sizeof(V));
  return v;
}
template <class V>
inline void store(float* p, const V& v) {
  std::memcpy(p, &v, sizeof(V));
}

// acc (+)= c * x for one table entry c known at compile time.
template <class V, class Tab, int I, int J, bool kIn>
inline void term(V& acc, bool& started, const V& x) {
  constexpr float c = kIn ? Tab::BT[I][J] : Tab::AT[I][J];
  if constexpr (c != 0.0f) {
    if (!started) {
      started = true;
      if constexpr (c == 1.0f) acc = x;
      else if constexpr (c == -1.0f) acc = -x;
      else acc = x * c;
    } else {
      if constexpr (c == 1.0f) acc = acc + x;
      else if constexpr (c == -1.0f) acc = acc - x;
      else acc = acc + x * c;
    }
  }
}
template <class V, class Tab, bool kIn, int I, int... J>
inline V row(const V* x, std::integer_sequence<int, J...>) {
  V acc{};
  bool started = false;
  (term<V, Tab, I, J, kIn>(acc, started, x[J]), ...);
  return acc;
}
// y[i] = sum_j T[i][j] x[j] for T = BT (kIn) or AT.
template <class V, class Tab, bool kIn, int... I>
inline void apply(const V* x, V* y, std::integer_sequence<int, I...>) {
  ((y[I] = row<V, Tab, kIn, I>(x, std::make_integer_sequence<int, Tab::n>())), ...);
}

template <class V, class Tab>
inline void inputStep(const float* const* rows, int64_t c, float* v, int64_t plane) {
  V x[Tab::n], y[Tab::n];
  for (int j = 0; j < Tab::n; ++j) x[j] = load<V>(rows[j] + c);
  apply<V, Tab, true>(x, y, std::make_integer_sequence<int, Tab::n>());
  for (int i = 0; i < Tab::n; ++i) store<V>(v + i * plane + c, y[i]);
}

template <class V, class Tab>
void inputTransform(const float* const* rows, int64_t C, float* v, int64_t plane) {
  constexpr int64_t w = sizeof(V) / sizeof(float);
  int64_t c = 0;
  for (; c + w <= C; c += w) inputStep<V, Tab>(rows, c, v, plane);
  for (; c < C; ++c) inputStep<float, Tab>(rows, c, v, plane);
}

template <class V, class Tab>
inline void outputStep(const float* mm, int64_t plane, int64_t c, const float* bias, float* const* out, int64_t rows,
                       bool relu) {
  V x[Tab::n], y[Tab::m];
  for (int j = 0; j < Tab::n; ++j) x[j] = load<V>(mm + j * plane + c);
  apply<V, Tab, false>(x, y, std::make_integer_sequence<int, Tab::m>());
  const V b = load<V>(bias + c), zero{};
  for (int i = 0; i < Tab::m; ++i) {
    if (i >= rows) break;
    V r = y[i] + b;
    // NaN stores 0, as the direct kernel's max(y, 0).
    if (relu) r = r > zero ? r : zero;
    store<V>(out[i] + c, r);
  }
}
template <class V, class Tab>
void outputTransform(const float* mm, int64_t plane, int64_t C, const float* bias, float* const* out, int64_t rows,
                     bool relu) {
  constexpr int64_t w = sizeof(V) / sizeof(float);
  int64_t c = 0;
  for (; c + w <= C; c += w) outputStep<V, Tab>(mm, plane, c, bias, out, rows, relu);
  // Scalar tail: a vector ternary does not apply to float, so spell the ReLU out.
  for (; c < C; ++c) {
    float x[Tab::n], y[Tab::m];
    for (int j = 0; j < Tab::n; ++j) x[j] = mm[j * plane + c];
    apply<float, Tab, false>(x, y, std::make_integer_sequence<int, Tab::m>());
    for (int64_t i = 0; i < rows; ++i) {
      const float r = y[i] + bias[c];
      out[i][c] = relu && !(r > 0.0f) ? 0.0f : r;
    }
  }
}

template <class V, class Tab>
conv1d_detail::WinogradTransforms transformsFor() {
  return {inputTransform<V, Tab>, outputTransform<V, Tab>};
}

}  // namespace
}  // namespace winograd
}  // namespace vigil
