#pragma once
// One accelerator's published figures (models/chips/*.yaml), as plain values.
#include <array>
#include <string>

#include "catalog/figure.hpp"
#include "units/quantity.hpp"

namespace clustersim::catalog {

/// Number formats with a dense peak compute figure in the catalog.
enum class Precision { bf16, fp8, fp4, int8 };
inline constexpr std::array<Precision, 4> all_precisions{Precision::bf16, Precision::fp8, Precision::fp4,
                                                         Precision::int8};
std::string_view to_string(Precision p);

struct ChipSpec {
    std::string id;
    std::string name;
    std::string vendor;
    int year = 0;
    std::string status;  ///< shipping | announced | roadmap
    std::map<std::string, std::string, std::less<>> sources;  ///< source id -> citation
    std::string notes;

    // Dense peak rates (no 2:4 sparsity). int8 is in integer operations per second.
    Figure<units::FlopsPerSecond> bf16_dense;
    Figure<units::FlopsPerSecond> fp8_dense;
    Figure<units::FlopsPerSecond> fp4_dense;
    Figure<units::FlopsPerSecond> int8_dense;
    Figure<units::Bytes> hbm_capacity;
    Figure<units::BytesPerSecond> hbm_bandwidth;
    Figure<units::BytesPerSecond> scale_up_bandwidth;   ///< per chip, ONE direction (NVLink, UB, HCCS, ICI)
    Figure<units::BytesPerSecond> scale_out_bandwidth;  ///< per chip, ONE direction (NICs: RoCE, IB, UBoE)
    Figure<units::Watts> tdp;                           ///< chip or board maximum power
    // Structure (published where public).
    Figure<std::int64_t> compute_units;         ///< SMs or AI cores, all dies together
    Figure<units::Bytes> l2_cache;              ///< last-level on-chip cache or SRAM
    Figure<units::FlopsPerSecond> vector_fp32;  ///< non-matrix (vector / CUDA-core) FP32 rate
    // Economics (docs/models/economics.md): prices in US dollars as the source states them.
    Figure<units::Usd> price;         ///< one accelerator (package or board), without its server
    Figure<units::Watts> host_power;  ///< the server beyond its accelerators (CPUs, memory, NICs, fans), per accelerator
    Figure<units::Usd> host_price;    ///< the server beyond its accelerators, per accelerator
    // Silicon, for the wafer-cost model (economics::package_cost).
    Figure<units::Area> die_area;          ///< one compute die
    Figure<std::int64_t> compute_dies;     ///< compute dies per package
    Figure<double> die_yield;              ///< reported fraction of good compute dies, in (0, 1]

    // Performance-model parameters (section `performance:`; docs/models/chip.md).
    Figure<std::int64_t> matmul_tile_m;      ///< output tile rows one compute unit works on
    Figure<std::int64_t> matmul_tile_n;      ///< output tile columns
    Figure<double> matmul_efficiency;        ///< achievable fraction of peak inside a full tile
    Figure<units::Seconds> matmul_tile_overhead;  ///< fixed time per tile (prologue, epilogue)
    Figure<double> attention_efficiency;     ///< achievable fraction of peak in fused attention, forward pass
    Figure<double> memory_efficiency;        ///< achievable fraction of HBM bandwidth
    Figure<units::Seconds> kernel_overhead;  ///< launch and synchronisation per kernel
    Figure<double> attention_backward_efficiency;  ///< the same in the backward pass
    /// Block-scaled FP8 matrix products (fine-grained 1 x 128 / 128 x 128 scales, DeepGEMM), whose kernels pay
    /// a per-tile cost the others do not; unknown: they take matmul_efficiency and matmul_tile_overhead.
    Figure<double> fp8_block_matmul_efficiency;
    Figure<units::Seconds> fp8_block_matmul_tile_overhead;
    /// FlashAttention's 2022-23 Triton kernel (flash_attn_triton.py, llm-foundry's attn_impl: triton), a
    /// training execution's `attention: flash_triton`: its own forward and backward efficiency; unknown:
    /// the chip cannot run that execution.
    Figure<double> flash_triton_attention_efficiency;
    Figure<double> flash_triton_attention_backward_efficiency;
    /// Absorbed multi-head latent attention, the decode kernel that reads one shared latent head
    /// (FlashMLA, Ascend's MLA operator); unknown: it takes attention_efficiency.
    Figure<double> latent_attention_efficiency;
    /// Per-tensor-scaled FP8 matrix products (Transformer Engine's recipes); unknown: matmul_efficiency.
    Figure<double> fp8_matmul_efficiency;
    /// FP8 copies a quantised tensor needs: 2 where the FP8 products take only one operand layout (Hopper's
    /// TN-only FP8 GEMMs: a row-wise and a transposed copy), 1 where they take any; unknown: 1.
    Figure<std::int64_t> fp8_operand_copies;
    /// The sustained copy rate of the chip's own link to its host CPU's memory, one direction (PCIe,
    /// NVLink-C2C), with the node's other chips copying too: what activation offloading copies over; unknown:
    /// the chip cannot offload.
    Figure<units::BytesPerSecond> host_link_bandwidth;
    /// How the last, partial wave of a matrix product's tiles is shared out: its tiles' K work is cut into this
    /// many slices, spread over every compute unit (persistent stream-K-style kernels), so waves count in steps
    /// of 1/slices; 1 = whole waves, each partial wave as long as a full one; unknown: 1.
    Figure<std::int64_t> matmul_wave_slices;
    /// Key positions per query that a causal fused-attention kernel pays for beyond the unmasked ones: the masked
    /// halves of its diagonal blocks, and query blocks of unequal length finishing unevenly; unknown: none.
    Figure<std::int64_t> causal_attention_extra_keys;
    /// Key positions' worth of time a fused-attention kernel pays per query row, masked or not: each query block's
    /// prologue and epilogue (loading its queries, the last rescale, writing its output), so that at s keys it runs
    /// at s / (s + c) of its long-sequence rate; unknown: none.
    Figure<std::int64_t> attention_query_extra_keys;

    [[nodiscard]] const Figure<units::FlopsPerSecond>& peak_dense(Precision p) const;
};

inline constexpr std::array<FigureInfo, 37> chip_figures{{
    {"bf16_dense", FigureKind::compute_rate, false, "dense peak BF16 FLOP/s"},
    {"fp8_dense", FigureKind::compute_rate, false, "dense peak FP8 FLOP/s"},
    {"fp4_dense", FigureKind::compute_rate, false, "dense peak FP4 FLOP/s"},
    {"int8_dense", FigureKind::compute_rate, false, "dense peak INT8 OP/s"},
    {"hbm_capacity", FigureKind::data, false, "HBM capacity"},
    {"hbm_bandwidth", FigureKind::data_rate, false, "HBM bandwidth"},
    {"scale_up_bandwidth", FigureKind::data_rate, true, "scale-up bandwidth per chip, one direction"},
    {"scale_out_bandwidth", FigureKind::data_rate, true, "scale-out (NIC) bandwidth per chip, one direction"},
    {"tdp", FigureKind::power, false, "chip or board power (TDP)"},
    {"compute_units", FigureKind::count, false, "compute units (SMs, AI cores), all dies"},
    {"l2_cache", FigureKind::data, false, "last-level on-chip cache"},
    {"vector_fp32", FigureKind::compute_rate, false, "non-matrix FP32 FLOP/s"},
    {"price", FigureKind::price, false, "price of one accelerator, without its server"},
    {"host_power", FigureKind::power, false, "server power beyond the accelerators, per accelerator"},
    {"host_price", FigureKind::price, false, "server price beyond the accelerators, per accelerator"},
    {"die_area", FigureKind::area, false, "area of one compute die"},
    {"compute_dies", FigureKind::count, false, "compute dies per package"},
    {"die_yield", FigureKind::fraction, false, "reported fraction of good compute dies"},
    {"matmul_tile_m", FigureKind::count, false, "matrix-product output tile rows per compute unit", "performance"},
    {"matmul_tile_n", FigureKind::count, false, "matrix-product output tile columns per compute unit", "performance"},
    {"matmul_efficiency", FigureKind::fraction, false, "achievable fraction of peak in full tiles", "performance"},
    {"matmul_tile_overhead", FigureKind::time, false, "fixed time per output tile", "performance"},
    {"attention_efficiency", FigureKind::fraction, false, "achievable fraction of peak in fused attention, forward",
     "performance"},
    {"memory_efficiency", FigureKind::fraction, false, "achievable fraction of HBM bandwidth", "performance"},
    {"kernel_overhead", FigureKind::time, false, "launch and synchronisation per kernel", "performance"},
    {"attention_backward_efficiency", FigureKind::fraction, false,
     "achievable fraction of peak in fused attention, backward", "performance"},
    {"fp8_block_matmul_efficiency", FigureKind::fraction, false,
     "block-scaled FP8 matrix products: achievable fraction of peak in full tiles (unknown: matmul_efficiency)",
     "performance"},
    {"fp8_block_matmul_tile_overhead", FigureKind::time, false,
     "block-scaled FP8 matrix products: fixed time per output tile (unknown: matmul_tile_overhead)", "performance"},
    {"flash_triton_attention_efficiency", FigureKind::fraction, false,
     "FlashAttention's Triton kernel (attention: flash_triton): achievable fraction of peak, forward", "performance"},
    {"flash_triton_attention_backward_efficiency", FigureKind::fraction, false,
     "FlashAttention's Triton kernel (attention: flash_triton): achievable fraction of peak, backward", "performance"},
    {"latent_attention_efficiency", FigureKind::fraction, false,
     "absorbed latent attention (decode's MLA kernel): achievable fraction of peak (unknown: attention_efficiency)",
     "performance"},
    {"fp8_matmul_efficiency", FigureKind::fraction, false,
     "per-tensor-scaled FP8 matrix products: achievable fraction of peak in full tiles (unknown: matmul_efficiency)",
     "performance"},
    {"fp8_operand_copies", FigureKind::count, false,
     "FP8 copies a quantised tensor needs: 2 for TN-only FP8 products (Hopper), 1 otherwise (unknown: 1)", "performance"},
    {"host_link_bandwidth", FigureKind::data_rate, true,
     "sustained copy rate of the chip's link to host CPU memory, per chip, one direction"},
    {"matmul_wave_slices", FigureKind::count, false,
     "K slices each tile of a matrix product's last, partial wave is cut into and spread over every unit (1: whole "
     "waves; unknown: 1)",
     "performance"},
    {"causal_attention_extra_keys", FigureKind::count, false,
     "key positions per query a causal fused-attention kernel pays for beyond the unmasked ones (unknown: none)",
     "performance"},
    {"attention_query_extra_keys", FigureKind::count, false,
     "key positions' worth of time a fused-attention kernel pays per query row, masked or not (its query blocks' "
     "prologue and epilogue; unknown: none)",
     "performance"},
}};

/// Calls f(info, figure) for every figure of a chip, in chip_figures order.
/// Works on const and non-const chips; the one place that maps names to members.
template <class Chip, class F>
void for_each_figure(Chip& chip, F&& f) {
    f(chip_figures[0], chip.bf16_dense);
    f(chip_figures[1], chip.fp8_dense);
    f(chip_figures[2], chip.fp4_dense);
    f(chip_figures[3], chip.int8_dense);
    f(chip_figures[4], chip.hbm_capacity);
    f(chip_figures[5], chip.hbm_bandwidth);
    f(chip_figures[6], chip.scale_up_bandwidth);
    f(chip_figures[7], chip.scale_out_bandwidth);
    f(chip_figures[8], chip.tdp);
    f(chip_figures[9], chip.compute_units);
    f(chip_figures[10], chip.l2_cache);
    f(chip_figures[11], chip.vector_fp32);
    f(chip_figures[12], chip.price);
    f(chip_figures[13], chip.host_power);
    f(chip_figures[14], chip.host_price);
    f(chip_figures[15], chip.die_area);
    f(chip_figures[16], chip.compute_dies);
    f(chip_figures[17], chip.die_yield);
    f(chip_figures[18], chip.matmul_tile_m);
    f(chip_figures[19], chip.matmul_tile_n);
    f(chip_figures[20], chip.matmul_efficiency);
    f(chip_figures[21], chip.matmul_tile_overhead);
    f(chip_figures[22], chip.attention_efficiency);
    f(chip_figures[23], chip.memory_efficiency);
    f(chip_figures[24], chip.kernel_overhead);
    f(chip_figures[25], chip.attention_backward_efficiency);
    f(chip_figures[26], chip.fp8_block_matmul_efficiency);
    f(chip_figures[27], chip.fp8_block_matmul_tile_overhead);
    f(chip_figures[28], chip.flash_triton_attention_efficiency);
    f(chip_figures[29], chip.flash_triton_attention_backward_efficiency);
    f(chip_figures[30], chip.latent_attention_efficiency);
    f(chip_figures[31], chip.fp8_matmul_efficiency);
    f(chip_figures[32], chip.fp8_operand_copies);
    f(chip_figures[33], chip.host_link_bandwidth);
    f(chip_figures[34], chip.matmul_wave_slices);
    f(chip_figures[35], chip.causal_attention_extra_keys);
    f(chip_figures[36], chip.attention_query_extra_keys);
}

/// Returns a copy of `chip` with the overridden figures replaced (names must be chip figure names).
ChipSpec apply_overrides(ChipSpec chip, const FigureOverrides& overrides);

}  // namespace clustersim::catalog
