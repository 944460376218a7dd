// Winograd minimal filtering F(m, 3) for the 3-tap convolution y[i] = sum_k g[k] d[i + k], i < m:
//   y = AT [(G g) * (BT d)]  over n = m + 2 points (elementwise product in the middle).
// F(4,3): points 0, +-1, +-2 and infinity, as in Lavin & Gray (2016); the tables were checked in
// exact rational arithmetic against the direct sum (as were F(2,3)'s and F(6,3)'s, measured and
// not kept: see conv1d_winograd.cc).
#pragma once

namespace vigil {
namespace winograd {

struct F43 {
  static constexpr int m = 4, n = 6;
  static constexpr float BT[6][6] = {{4, 0, -5, 0, 1, 0},  {0, -4, -4, 1, 1, 0}, {0, 4, -4, -1, 1, 0},
                                     {0, -2, -1, 2, 1, 0}, {0, 2, -1, -2, 1, 0}, {0, 4, 0, -5, 0, 1}};
  static constexpr double G[6][3] = {{1.0 / 4, 0, 0},
                                     {-1.0 / 6, -1.0 / 6, -1.0 / 6},
                                     {-1.0 / 6, 1.0 / 6, -1.0 / 6},
                                     {1.0 / 24, 1.0 / 12, 1.0 / 6},
                                     {1.0 / 24, -1.0 / 12, 1.0 / 6},
                                     {0, 0, 1}};
  static constexpr float AT[4][6] = {{1, 1, 1, 1, 1, 0}, {0, 1, -1, 2, -2, 0}, {0, 1, 1, 4, 4, 0}, {0, 1, -1, 8, -8, 1}};
};

}  // namespace winograd
}  // namespace vigil
