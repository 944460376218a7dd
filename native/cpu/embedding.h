// Embedding lookup (gather) and its gradient (scatter-add into the table).
#pragma once
#include <cstdint>

namespace vigil {

// out[n, :] = table[ids[n], :]. ids must already be in [0, V).
void embeddingForward(int64_t V, int64_t E, int64_t N, const int32_t* ids, const float* table, float* out);

// dTable = sum over n with ids[n] == v of dOut[n, :] (dTable is overwritten, rows never looked
// up become zero). Each row accumulates its contributions in increasing n whatever the thread
// count: threads own disjoint ranges of table rows, never share a row, never use atomics.
void embeddingBackward(int64_t V, int64_t E, int64_t N, const int32_t* ids, const float* dOut, float* dTable);

}  // namespace vigil
