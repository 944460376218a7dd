// What session.h promises about a stack before any memory is taken: the layer order the step logic
// (session_step.h) handles, and the weight sizes in Sequential.getWeights() order. Compiled into
// every build (the host backend uses it without CUDA).
#include <stdexcept>
#include <string>

#include "cuda/session.h"

namespace vigil {
namespace cuda {
namespace session {

namespace {
[[noreturn]] void bad(size_t i, const std::string& what) {
  throw std::invalid_argument("session: layer " + std::to_string(i) + ": " + what);
}
}  // namespace

void checkSpec(const Spec& s) {
  if (s.layers.empty()) throw std::invalid_argument("session: the stack has no layers");
  // Whether the tensor between layers is per step ([B, T, F]) and its width.
  bool seq = true;
  int64_t F = s.layers[0].kind == LayerKind::Embedding ? 0 : s.layers[0].in;
  for (size_t i = 0; i < s.layers.size(); ++i) {
    const LayerSpec& l = s.layers[i];
    if (l.kind != LayerKind::MaxPool && l.kind != LayerKind::Dropout && l.units < 1) bad(i, "units must be >= 1");
    if (!(l.rate >= 0 && l.rate < 1)) bad(i, "dropout rate must be in [0, 1)");
    switch (l.kind) {
      case LayerKind::Embedding:
        // Folded into a recurrent layer right after it (gather mode), as Sequential.build does; a
        // row gather into [B, T, E] otherwise.
        if (i != 0) bad(i, "an Embedding must be the first layer");
        if (l.in < 1) bad(i, "the vocabulary must be >= 1");
        F = l.units;
        break;
      case LayerKind::Lstm:
      case LayerKind::Rnn:
        if (!seq) bad(i, "a recurrent layer needs sequences (the layer before returns one state per row)");
        if (l.in != F) bad(i, "input features " + std::to_string(l.in) + " != " + std::to_string(F));
        seq = l.returnSequences;
        F = l.units;
        break;
      case LayerKind::MaxPool:
        if (!seq) bad(i, "GlobalMaxPooling1D needs sequences");
        seq = false;
        break;
      case LayerKind::Dropout:
        break;
      case LayerKind::Dense:
        if (seq) bad(i, "Dense over sequences is not supported by the session (only [batch, features] inputs)");
        if (l.in != F) bad(i, "input features " + std::to_string(l.in) + " != " + std::to_string(F));
        F = l.units;
        break;
    }
  }
  if (seq) throw std::invalid_argument("session: the output must be one row per sample (no sequence outputs)");
  if (s.onLogits && s.layers.back().kind != LayerKind::Dense) throw std::invalid_argument("session: a loss on logits needs a Dense output layer");
  if (s.loss == lossk::Kind::BinaryCrossentropy && !s.onLogits)
    throw std::invalid_argument("session: binary_crossentropy runs on logits only (a sigmoid output or fromLogits)");
}

std::vector<int64_t> weightSizes(const Spec& s) {
  std::vector<int64_t> out;
  for (size_t i = 0; i < s.layers.size(); ++i) {
    const LayerSpec& l = s.layers[i];
    switch (l.kind) {
      case LayerKind::Embedding:
        out.push_back(l.in * l.units);
        break;
      case LayerKind::Lstm:
      case LayerKind::Rnn: {
        const int64_t G = (l.kind == LayerKind::Lstm ? 4 : 1) * l.units;
        out.push_back(G * l.in);
        out.push_back(G * l.units);
        out.push_back(G);
        break;
      }
      case LayerKind::Dense:
        out.push_back(l.units * l.in);
        if (l.useBias) out.push_back(l.units);
        break;
      default:
        break;
    }
  }
  return out;
}

int64_t outputWidth(const Spec& s) {
  int64_t F = 0;
  for (const LayerSpec& l : s.layers)
    if (l.kind != LayerKind::MaxPool && l.kind != LayerKind::Dropout) F = l.units;
  return F;
}

}  // namespace session
}  // namespace cuda
}  // namespace vigil
