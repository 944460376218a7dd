// A device-resident training and inference session for a Sequential text/sequence stack (issue 9):
// the weights, gradients, optimizer state, activations and recurrent caches of one model live in
// the backend's memory for the session's lifetime; host memory is touched only at the edge
// (weights in and out, a batch's inputs and targets in, the loss and the predictions out).
//
// The step logic is written once (session_step.h) over a backend: the CUDA backend (session.cu:
// device memory, one stream, the cuda::dev:: entry points) and the host backend (session_host.cc:
// std::vector memory and the cuda::host:: emulations of the same kernels), which every build
// compiles so that `npm test` checks the composition on machines without a GPU.
//
// Supported stacks (the model layer checks and names anything else): [Embedding] (folded into a
// recurrent layer right after it, gather mode, as Sequential does on the CPU; else a row gather),
// then LSTM / SimpleRNN
// layers (stacked, returnSequences, recurrent dropout, 'pre'-padded lengths), GlobalMaxPooling1D
// over the valid steps, Dropout, Dense (2-D input) with linear / relu / sigmoid / tanh / softmax.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cuda/loss_elem.h"

namespace vigil {
namespace cuda {
namespace session {

enum class LayerKind : int { Embedding = 0, Lstm = 1, Rnn = 2, MaxPool = 3, Dropout = 4, Dense = 5 };
// Dense activations; Sigmoid/Tanh/Relu as cpu/activation.h's Activation.
enum class Act : int { Sigmoid = 0, Tanh = 1, Relu = 2, Linear = 3, Softmax = 4 };

struct LayerSpec {
  LayerKind kind;
  int64_t in = 0;     // input features (Embedding: the vocabulary V)
  int64_t units = 0;  // Embedding: E; recurrent: H; Dense: units
  bool returnSequences = false;
  double rate = 0;    // recurrent dropout (LSTM / SimpleRNN) or the Dropout rate
  Act act = Act::Linear;
  bool useBias = true;
};

enum class OptKind : int { Sgd = 0, Adam = 1, Rmsprop = 2, Nadam = 3 };
enum class Clip : int { None = 0, Norm = 1, GlobalNorm = 2, Value = 3 };

// Settings fixed at creation; the learning rate and the step count come with every step.
struct OptSpec {
  OptKind kind = OptKind::Adam;
  float beta1 = 0.9f, beta2 = 0.999f, eps = 1e-7f, rho = 0.9f, momentum = 0;
  bool nesterov = false, amsgrad = false, centered = false;
  Clip clip = Clip::None;
  double clipValue = 0;
};

struct Spec {
  std::vector<LayerSpec> layers;
  lossk::Kind loss = lossk::Kind::BinaryCrossentropy;
  // The loss reads the last Dense's pre-activation (cross-entropy on a sigmoid / softmax output, or
  // fromLogits with a linear one), as training.ts's Loss.onLogits / outputsAreLogits.
  bool onLogits = true;
  OptSpec opt;
};

// One batch in host memory (the caller's arrays), batch-major, 'pre'-padded.
struct Batch {
  int64_t B = 0, T = 0;
  const int32_t* tokens = nullptr;   // [B, T] when the stack starts with an Embedding
  const float* x = nullptr;          // [B, T, I] otherwise
  const int32_t* lengths = nullptr;  // [B] or null (every step valid)
  const float* targets = nullptr;    // [B, C] (not for the sparse loss)
  const int32_t* labels = nullptr;   // [B] (sparse loss)
  const float* weights = nullptr;    // [B] sample weights or null
  // Dropout masks: layer i of optimizer step `step` draws from Philox stream step·1024 + i under
  // `seed`, as Sequential.forward's CallContext.
  uint64_t seed = 0, step = 0;
};

// Checks a spec's shape (layer order, sizes); throws std::invalid_argument saying what is wrong.
void checkSpec(const Spec& s);
// Sizes of the weight tensors in Sequential.getWeights() order.
std::vector<int64_t> weightSizes(const Spec& s);
// Output width of the last layer (the loss's C).
int64_t outputWidth(const Spec& s);

class Session {
 public:
  virtual ~Session() = default;
  // Every weight, getWeights() order; resets nothing else.
  virtual void setWeights(const std::vector<const float*>& w) = 0;
  virtual void getWeights(const std::vector<float*>& w) = 0;
  // Forward, loss, backward, clipping, optimizer update (step t >= 1, learning rate lr). Returns
  // the batch's loss before the update; `out` (host [B, C] or null) gets the outputs for metrics.
  virtual double trainStep(const Batch& b, int64_t t, float lr, float* out) = 0;
  // Inference: outputs [B, C] into `out` (host); the loss when the batch has targets, else 0.
  virtual double infer(const Batch& b, float* out) = 0;
  // Bytes of backend memory held (for AdjustExternalMemory and the tests).
  virtual int64_t bytes() const = 0;
};

// The host backend (every build) and the CUDA backend (throws std::runtime_error without CUDA).
std::unique_ptr<Session> makeHostSession(const Spec& s);
std::unique_ptr<Session> makeCudaSession(const Spec& s);

}  // namespace session
}  // namespace cuda
}  // namespace vigil
