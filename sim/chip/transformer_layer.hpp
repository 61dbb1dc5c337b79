#pragma once
// The kernels of one dense decoder layer (pre-norm, grouped-query attention, SwiGLU MLP),
// as the chip model sees them: used by `show chip`, the chip comparison in docs/models/chip.md
// and bench/. The training and serving models (issues 6 and 7) build on the same operations.
#include <cstdint>
#include <vector>

#include "chip/op_cost.hpp"

namespace clustersim::chip {

struct DenseLayerShape {
    std::int64_t hidden = 0;
    std::int64_t ffn = 0;  ///< per gate/up projection
    std::int64_t heads_q = 0;
    std::int64_t heads_kv = 0;
    std::int64_t head_dim = 0;
};

/// Llama 3 70B (Meta, "The Llama 3 Herd of Models", arXiv 2407.21783, Table 3):
/// hidden 8192, FFN 28672, 64 query heads, 8 key-value heads, head size 128, 80 layers.
inline constexpr DenseLayerShape llama3_70b_layer{8192, 28672, 64, 8, 128};

/// One decode step of `batch` sequences at `context` tokens of KV cache: ten kernels
/// (norm, QKV, attention, output projection, residual, norm, gate+up, SwiGLU, down, residual).
std::vector<Operation> decode_layer(const DenseLayerShape& s, std::int64_t batch, std::int64_t context, DType dtype);

/// The forward pass of `batch` sequences of `seq` tokens (prefill, or a training forward).
std::vector<Operation> prefill_layer(const DenseLayerShape& s, std::int64_t batch, std::int64_t seq, DType dtype);

/// Kernels run one after another: times add.
struct SequenceCost {
    double time_s = 0;
    double flops = 0;
    double bytes = 0;
    double memory_bound_s = 0;  ///< time in kernels that are memory-bound
    [[nodiscard]] double delivered_flop_per_s() const { return time_s > 0 ? flops / time_s : 0; }
};
SequenceCost cost(const ChipModel& chip, const std::vector<Operation>& ops);

}  // namespace clustersim::chip
