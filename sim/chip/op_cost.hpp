#pragma once
// The cost of one operation on one chip: pure functions of a ChipModel and an operation.
// Equations and sources: docs/models/chip.md. All times in seconds, sizes in bytes.
#include <cstdint>
#include <optional>
#include <string_view>
#include <variant>

#include "chip/chip_model.hpp"

namespace clustersim::chip {

/// Which product a matrix product is: a forward one, or one of its two gradient products.
enum class Gradient : std::uint8_t {
    none,    ///< the forward product (or a product of its own, like the unfused attention's)
    input,   ///< dX = dY W^T
    weight,  ///< dW = X^T dY
};

/// C[batch] = A[batch] (m x k) * B[batch] (k x n); outputs are written in 2-byte precision.
struct Matmul {
    std::int64_t m = 0;
    std::int64_t n = 0;
    std::int64_t k = 0;
    std::int64_t batch = 1;
    DType dtype = DType::bf16;
    /// FP8 with fine-grained block scales (1 x 128 activation and 128 x 128 weight tiles, DeepSeek-V3's
    /// recipe, DeepGEMM's kernels): the chip's fp8_block figures where it has them. False: per-tensor
    /// (or per-channel) scales, applied in the epilogue (Transformer Engine).
    bool block_scaled = false;
    /// What the kernel is, for breakdowns ("qkv", "down"; a string literal; empty: unnamed). Not a cost input.
    std::string_view name{};
    Gradient gradient = Gradient::none;
};

/// Fused (flash-style) attention over `seq_q` queries against `seq_kv` keys and values.
/// Prefill: seq_q = seq_kv. Decode: seq_q = 1 (or the draft length), seq_kv = context length.
/// Grouped-query attention: heads_kv divides heads_q. With causal masking, query i sees the
/// first seq_kv - seq_q + i + 1 keys (the queries are the last seq_q positions).
/// Multi-head latent attention in its absorbed decode form (DeepSeek-V2/V3 inference, FlashMLA):
/// one shared latent head (heads_kv = 1) of head_dim = kv_lora_rank + rope that is both the keys
/// and, its first head_dim_v = kv_lora_rank elements, the values (shared_kv: read once).
struct Attention {
    std::int64_t batch = 1;
    std::int64_t heads_q = 1;
    std::int64_t heads_kv = 1;
    std::int64_t head_dim = 128;    ///< query-key size per head
    std::int64_t head_dim_v = 0;    ///< value and output size per head; 0: head_dim
    bool shared_kv = false;         ///< the values are a prefix of the keys (absorbed MLA): K and V read once
    std::optional<DType> kv_dtype;  ///< K and V element type when it differs from dtype (an FP8 or INT8 KV cache)
    std::int64_t seq_q = 1;
    std::int64_t seq_kv = 1;
    bool causal = true;
    Pass pass = Pass::forward;
    DType dtype = DType::bf16;
    AttentionKernel kernel = AttentionKernel::standard;
    /// Kernels the query rows pass through, each paying the per-query cost and a launch: 1, or a context-parallel
    /// ring's steps (Transformer Engine runs one kernel per step of the ring; the pairs are counted once).
    std::int64_t query_passes = 1;
    std::string_view name{};  ///< as Matmul::name
};

/// A memory-bound operation: bytes moved and (small) vector FLOPs. Build with the helpers below.
struct MemoryOp {
    double bytes = 0;
    double flops = 0;  ///< FP32 vector FLOPs (normalisation, activation, optimizer arithmetic)
    std::string_view name{};  ///< as Matmul::name
};

/// RMS or layer normalisation of `elements` values: read x and write y (plus a weight vector).
MemoryOp normalization(std::int64_t elements, DType dtype);
/// SwiGLU activation: read gate and up (2 x elements), write elements.
MemoryOp swiglu(std::int64_t elements, DType dtype);
/// GELU (tanh form): read x, write y; about 8 FP32 operations per element.
MemoryOp gelu(std::int64_t elements, DType dtype);
/// An element-wise binary operation (add, multiply): read 2, write 1.
MemoryOp elementwise(std::int64_t elements, DType dtype);
/// Fused Adam step per parameter (apex's and Transformer Engine's multi_tensor_adam): read the fp32 master weight,
/// fp32 gradient, m and v; write weight, m and v: 28 bytes and ~12 FLOPs per parameter.
MemoryOp adam_update(std::int64_t parameters);
/// Embedding lookup: gather `tokens` rows of `hidden` values and write them.
MemoryOp embedding(std::int64_t tokens, std::int64_t hidden, DType dtype);
/// Dynamic activation quantisation of `rows` x `cols` 16-bit values to `out` (INT8 or FP8) with FP32
/// scales, one per `group` values of a row (per token: group = cols; DeepSeek-V3's fine-grained FP8:
/// 128): read the 16-bit input, write the 8-bit output and the scales; about 4 FP32 operations per
/// value (absolute value, running maximum, scale, round).
MemoryOp quantization(std::int64_t rows, std::int64_t cols, DType out, std::int64_t group);
/// Combine of mixture-of-experts outputs: read `routed` expert rows of `hidden`, weight them by the
/// router probabilities and write one row per token (`tokens` rows).
MemoryOp combine(std::int64_t routed, std::int64_t tokens, std::int64_t hidden, DType dtype);

enum class Bound { compute, memory };

struct OpCost {
    double time_s = 0;      ///< total: max(compute, memory) + overhead
    double compute_s = 0;   ///< at the modelled compute rate (efficiency and quantisation included)
    double memory_s = 0;    ///< bytes at the achievable HBM bandwidth
    double overhead_s = 0;  ///< kernel launch and synchronisation
    double flops = 0;       ///< useful FLOPs (no padding)
    double bytes = 0;       ///< minimum HBM traffic
    Bound bound = Bound::compute;

    /// Useful FLOP/s delivered over the whole time.
    [[nodiscard]] double delivered_flop_per_s() const { return time_s > 0 ? flops / time_s : 0; }
};

/// How a matrix product is cut into tiles and waves on a chip (op_cost.cpp).
struct MatmulTiling {
    double tile_m = 0;
    double tile_n = 0;
    double split_k = 1;     ///< K slices per output tile
    double k_per_tile = 0;  ///< K extent one work tile covers
    double tiles = 0;       ///< work tiles (output tiles x split_k)
    double waves = 0;       ///< rounds of work tiles on every unit; fractional with wave slices
};
MatmulTiling matmul_tiling(const ChipModel& chip, const Matmul& op);

OpCost cost(const ChipModel& chip, const Matmul& op);
OpCost cost(const ChipModel& chip, const Attention& op);
OpCost cost(const ChipModel& chip, const MemoryOp& op);

/// Any one operation (kernel).
using Operation = std::variant<Matmul, Attention, MemoryOp>;
OpCost cost(const ChipModel& chip, const Operation& op);

std::string_view to_string(Bound b);
std::string_view to_string(Gradient g);

/// `op` named `name` (a string literal: breakdowns keep the view).
template <class Op>
[[nodiscard]] Op named(Op op, std::string_view name) {
    op.name = name;
    return op;
}
/// The name of any operation (empty: unnamed).
std::string_view name_of(const Operation& op);
/// What kind of operation it is: "matmul", "attention" (fused) or "memory" (memory-bound).
std::string_view kind_of(const Operation& op);

}  // namespace clustersim::chip
