#include "chip/op_cost.hpp"

#include <algorithm>
#include <cmath>

namespace clustersim::chip {
namespace {

double ceil_div(double a, double b) { return static_cast<double>(static_cast<std::int64_t>((a + b - 1) / b)); }
double ceil_div(std::int64_t a, double b) { return ceil_div(static_cast<double>(a), b); }

void require(const ChipModel& chip, DType d) {
    if (!chip.supports(d)) throw UnsupportedDType(chip, d);
}

OpCost finish(const ChipModel& chip, double compute_s, double flops, double bytes) {
    OpCost c;
    c.compute_s = compute_s;
    c.memory_s = bytes / (chip.hbm_bytes_per_s * chip.memory_efficiency);
    c.overhead_s = chip.kernel_overhead_s;
    c.flops = flops;
    c.bytes = bytes;
    c.bound = c.compute_s >= c.memory_s ? Bound::compute : Bound::memory;
    // Roofline (Williams, Waterman, Patterson 2009): compute and memory traffic overlap fully.
    c.time_s = std::max(c.compute_s, c.memory_s) + c.overhead_s;
    return c;
}

}  // namespace

std::string_view to_string(Bound b) { return b == Bound::compute ? "compute" : "memory"; }

std::string_view to_string(Gradient g) {
    switch (g) {
        case Gradient::input: return "input_gradient";
        case Gradient::weight: return "weight_gradient";
        case Gradient::none: break;
    }
    return "";
}

std::string_view kind_of(const Operation& op) {
    if (std::holds_alternative<Matmul>(op)) return "matmul";
    if (std::holds_alternative<Attention>(op)) return "attention";
    return "memory";
}

std::string_view name_of(const Operation& op) {
    return std::visit([](const auto& o) { return o.name; }, op);
}

// Tile and wave quantisation (NVIDIA, "Matrix Multiplication Background User's Guide",
// docs.nvidia.com/deeplearning/performance/dl-performance-matrix-multiplication): the output is
// cut into tile_m x tile_n tiles, each computed by one compute unit over the full K; tiles run in
// waves of `compute_units`. A tile takes 2*tile_m*tile_n*K / (per-unit peak * efficiency) plus a
// fixed prologue/epilogue time, whatever part of it is padding. For a short matrix (decode: m is
// the batch) libraries pick a smaller tile: the tile side shrinks to the next power of two that
// covers the matrix, down to 16 (the smallest MMA shape on NVIDIA and the Cube fractal on Ascend).
double tile_side(std::int64_t extent, double chip_tile) {
    double side = 16.0;
    while (side < chip_tile && side < static_cast<double>(extent)) side *= 2.0;
    return std::min(side, chip_tile);
}

// Split-K (CUTLASS; Osama et al., "Stream-K", PPoPP 2023): when there are fewer output tiles than
// compute units, each tile's K is cut into floor(units / tiles) slices so that every unit works.
// The split depends only on the tile count, never on K, so time grows with every dimension. The
// reduction of the partial sums is left out of the traffic: it is small next to the operands in
// the short-and-wide products (decode) where splitting happens.
// The whole waves run as they are; the r work tiles of the last, partial wave are each cut into
// `wave_slices` K slices spread over every unit (stream-K's remainder split): ceil(r * slices /
// units) rounds of 1/slices of a tile. One slice is the classic whole wave; Hopper's cuBLAS
// kernels behave as four (measured on an H200: docs/research/h200-device-kernels.md).
MatmulTiling matmul_tiling(const ChipModel& chip, const Matmul& op) {
    MatmulTiling t;
    t.tile_m = tile_side(op.m, chip.tile_m);
    t.tile_n = tile_side(op.n, chip.tile_n);
    const double output_tiles = ceil_div(op.m, t.tile_m) * ceil_div(op.n, t.tile_n) * static_cast<double>(op.batch);
    t.split_k = output_tiles < chip.compute_units ? std::floor(chip.compute_units / output_tiles) : 1.0;
    t.tiles = output_tiles * t.split_k;
    t.k_per_tile = static_cast<double>(op.k) / t.split_k;
    const double whole_waves = std::floor(t.tiles / chip.compute_units);
    const double remainder = t.tiles - whole_waves * chip.compute_units;
    const double slices = chip.wave_slices;
    t.waves = remainder > 0 ? whole_waves + std::ceil(remainder * slices / chip.compute_units) / slices : whole_waves;
    return t;
}

OpCost cost(const ChipModel& chip, const Matmul& op) {
    require(chip, op.dtype);
    const MatmulTiling t = matmul_tiling(chip, op);
    const double waves = t.waves;
    const double per_unit = chip.peak(op.dtype) / chip.compute_units;
    const double k = static_cast<double>(op.k);
    const double tile_s =
        2.0 * t.tile_m * t.tile_n * t.k_per_tile / (per_unit * chip.matmul_efficiency_for(op.dtype, op.block_scaled)) +
        chip.tile_overhead_for(op.dtype, op.block_scaled);
    const double m = static_cast<double>(op.m);
    const double n = static_cast<double>(op.n);
    const double b = static_cast<double>(op.batch);
    const double flops = 2.0 * m * n * k * b;
    // Minimum traffic: each input read once, the output written once (2-byte outputs).
    const double bytes = b * ((m * k + k * n) * bytes_per_element(op.dtype) + m * n * 2.0);
    return finish(chip, waves * tile_s, flops, bytes);
}

// FlashAttention (Dao et al. 2022; FlashAttention-2, Dao 2023): Q K^T and P V are two matrix
// products of 2*s_q*s_kv*d_qk and 2*s_q*s_kv*d_v FLOPs per head; causal masking skips the masked
// blocks; the backward pass does 2.5x the forward FLOPs (five products instead of two). The score
// matrix is never written: HBM traffic is Q, K, V, O (forward) and Q, K, V, O, dO, dQ, dK, dV
// (backward); with shared_kv the values are read with the keys (absorbed MLA, FlashMLA).
// A causal kernel pays for more pairs than it keeps: the masked halves of its diagonal blocks,
// and the idle tail of query blocks of unequal length. The chip's causal_extra_keys per query
// (at most the full rectangle) cost time, not useful FLOPs (docs/research/h200-device-kernels.md).
// Every kernel, masked or not, also pays query_extra_keys per query row: each query block's
// prologue and epilogue (its queries loaded, the last rescale, its output and log-sum-exp written),
// so that at s keys it runs at s / (s + c) of its long-sequence rate
// (docs/research/attention-sequence-length.md). Not for absorbed latent attention (shared_kv),
// whose decode kernels split the keys instead and have an efficiency of their own. Run as
// query_passes kernels (a context-parallel ring's steps), the queries pay it, and a launch, once per kernel.
OpCost cost(const ChipModel& chip, const Attention& op) {
    require(chip, op.dtype);
    const double sq = static_cast<double>(op.seq_q);
    const double skv = static_cast<double>(op.seq_kv);
    const double d = static_cast<double>(op.head_dim);
    const double dv = op.head_dim_v > 0 ? static_cast<double>(op.head_dim_v) : d;
    const double b = static_cast<double>(op.batch);
    const double hq = static_cast<double>(op.heads_q);
    const double hkv = static_cast<double>(op.heads_kv);
    // Query-key pairs computed: with causal masking, query i (of the last s_q positions) sees
    // s_kv - s_q + i + 1 keys: s_q*s_kv - s_q*(s_q-1)/2 pairs in total.
    const double pairs = op.causal ? sq * skv - sq * (sq - 1.0) / 2.0 : sq * skv;
    const double forward_flops = 2.0 * b * hq * (d + dv) * pairs;
    const double flops = op.pass == Pass::forward ? forward_flops : 2.5 * forward_flops;
    const double e = bytes_per_element(op.dtype);
    const double e_kv = bytes_per_element(op.kv_dtype.value_or(op.dtype));
    const double q_bytes = b * sq * hq * d * e;    // Q and dQ are each this size
    const double o_bytes = b * sq * hq * dv * e;   // O and dO
    const double k_bytes = b * skv * hkv * d * e_kv;  // K and dK
    const double v_bytes = op.shared_kv ? 0.0 : b * skv * hkv * dv * e_kv;  // V and dV
    const double pass_bytes = q_bytes + o_bytes + k_bytes + v_bytes;
    const double bytes = op.pass == Pass::forward ? pass_bytes : 2.0 * pass_bytes;
    const double efficiency = chip.attention_efficiency_for(op.pass, op.kernel, op.shared_kv);
    const double passes = static_cast<double>(std::max<std::int64_t>(1, op.query_passes));
    const double query_keys = op.shared_kv ? 0.0 : passes * sq * chip.query_extra_keys;
    const double paid_pairs = (op.causal ? std::min(sq * skv, pairs + sq * chip.causal_extra_keys) : pairs) + query_keys;
    const double compute_s = flops * (paid_pairs / pairs) / (chip.peak(op.dtype) * efficiency);
    OpCost c = finish(chip, compute_s, flops, bytes);
    c.time_s += (passes - 1.0) * c.overhead_s;
    c.overhead_s *= passes;
    return c;
}

OpCost cost(const ChipModel& chip, const MemoryOp& op) {
    const double compute_s = chip.vector_flop_per_s > 0 ? op.flops / chip.vector_flop_per_s : 0.0;
    return finish(chip, compute_s, op.flops, op.bytes);
}

OpCost cost(const ChipModel& chip, const Operation& op) {
    return std::visit([&chip](const auto& o) { return cost(chip, o); }, op);
}

MemoryOp normalization(std::int64_t elements, DType dtype) {
    const double n = static_cast<double>(elements);
    return {2.0 * n * bytes_per_element(dtype), 4.0 * n};  // square, sum, scale, multiply
}

MemoryOp swiglu(std::int64_t elements, DType dtype) {
    const double n = static_cast<double>(elements);
    return {3.0 * n * bytes_per_element(dtype), 6.0 * n};  // sigmoid, two multiplies
}

MemoryOp gelu(std::int64_t elements, DType dtype) {
    const double n = static_cast<double>(elements);
    return {2.0 * n * bytes_per_element(dtype), 8.0 * n};
}

MemoryOp combine(std::int64_t routed, std::int64_t tokens, std::int64_t hidden, DType dtype) {
    const double r = static_cast<double>(routed);
    const double h = static_cast<double>(hidden);
    return {(r + static_cast<double>(tokens)) * h * bytes_per_element(dtype), 2.0 * r * h};
}

MemoryOp elementwise(std::int64_t elements, DType dtype) {
    const double n = static_cast<double>(elements);
    return {3.0 * n * bytes_per_element(dtype), n};
}

MemoryOp quantization(std::int64_t rows, std::int64_t cols, DType out, std::int64_t group) {
    const double n = static_cast<double>(rows) * static_cast<double>(cols);
    const std::int64_t g = std::max<std::int64_t>(1, std::min(group, cols));
    const double scales = static_cast<double>(rows) * static_cast<double>((cols + g - 1) / g);
    return {n * (bytes_per_element(DType::bf16) + bytes_per_element(out)) + 4.0 * scales, 4.0 * n};
}

MemoryOp adam_update(std::int64_t parameters) {
    const double n = static_cast<double>(parameters);
    return {28.0 * n, 12.0 * n};
}

MemoryOp embedding(std::int64_t tokens, std::int64_t hidden, DType dtype) {
    const double n = static_cast<double>(tokens) * static_cast<double>(hidden);
    return {2.0 * n * bytes_per_element(dtype), 0.0};
}

}  // namespace clustersim::chip
