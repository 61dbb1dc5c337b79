#pragma once
// The numbers the operation-cost functions need, resolved once from a catalog chip.
// A plain value type (no strings on the hot path), cheap to copy into searches.
#include <array>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>

#include "catalog/chip.hpp"

namespace clustersim::chip {

/// Element types of matrix and memory operations.
enum class DType { bf16, fp16, fp8, fp4, int8 };
inline constexpr std::array<DType, 5> all_dtypes{DType::bf16, DType::fp16, DType::fp8, DType::fp4, DType::int8};
std::string_view to_string(DType d);
std::optional<DType> dtype_from_string(std::string_view s);

enum class Pass { forward, backward };

/// Which fused-attention kernel runs: the chip's own (standard: attention_efficiency and
/// attention_backward_efficiency, calibrated on its best library: FlashAttention-2 on the A100,
/// FlashAttention-3 on Hopper), or FlashAttention's 2022-23 Triton kernel (flash_attn_triton.py,
/// llm-foundry's attn_impl: triton), which runs far below them (docs/research/attention-libraries.md).
enum class AttentionKernel : std::uint8_t { standard, flash_triton };
/// Bytes per element: 2 for bf16/fp16, 1 for fp8/int8, 0.5 for fp4.
double bytes_per_element(DType d);

struct ChipModel {
    std::string id;
    /// Dense peak per DType in FLOP/s (OP/s for int8); 0 = the catalog has no such peak.
    /// fp16 runs at the bf16 rate (true of every chip in the catalog's tensor and cube units).
    std::array<double, 5> peak_flop_per_s{};
    double hbm_bytes_per_s = 0;
    double compute_units = 0;
    double tile_m = 0;
    double tile_n = 0;
    double matmul_efficiency = 0;
    double attention_efficiency = 0;           ///< forward pass
    double attention_backward_efficiency = 0;  ///< backward pass
    double memory_efficiency = 0;
    double tile_overhead_s = 0;
    double kernel_overhead_s = 0;
    /// Block-scaled FP8 matrix products' own efficiency and tile overhead; 0 = unknown: the chip-wide values.
    double fp8_block_matmul_efficiency = 0;
    double fp8_block_tile_overhead_s = 0;
    /// FlashAttention's Triton kernel (AttentionKernel::flash_triton): forward and backward; 0 = unknown.
    double flash_triton_attention_efficiency = 0;
    double flash_triton_attention_backward_efficiency = 0;
    /// Absorbed latent attention (Attention::shared_kv: FlashMLA, Ascend's MLA operator), forward; 0:
    /// unknown, attention_efficiency is used.
    double latent_attention_efficiency = 0;
    /// Per-tensor-scaled FP8 products' own efficiency; 0 = unknown: matmul_efficiency.
    double fp8_matmul_efficiency = 0;
    /// FP8 copies a quantised tensor needs (2: TN-only FP8 products, Hopper; 1: any layout).
    int fp8_operand_copies = 1;
    /// K slices per tile of a matrix product's last, partial wave (ChipSpec::matmul_wave_slices); 1 = whole waves.
    double wave_slices = 1;
    /// Key positions per query a causal fused-attention kernel pays for beyond the unmasked ones
    /// (ChipSpec::causal_attention_extra_keys); 0 = none.
    double causal_extra_keys = 0;
    /// Key positions' worth of time a fused-attention kernel pays per query row, masked or not
    /// (ChipSpec::attention_query_extra_keys); 0 = none.
    double query_extra_keys = 0;
    double vector_flop_per_s = 0;  ///< non-matrix FP32; 0 when unknown (vector work then costs bytes only)
    double host_link_bytes_per_s = 0;  ///< to host memory, one direction; 0 when unknown (no activation offload)

    [[nodiscard]] double peak(DType d) const { return peak_flop_per_s[static_cast<std::size_t>(d)]; }
    [[nodiscard]] bool supports(DType d) const { return peak(d) > 0; }
    /// Whether a product runs on the block-scaled FP8 figures (an FP8, block-scaled product on a chip that has them).
    [[nodiscard]] bool block_fp8(DType d, bool block_scaled) const {
        return d == DType::fp8 && block_scaled && fp8_block_matmul_efficiency > 0;
    }
    /// The efficiency and tile overhead of a product of dtype `d`.
    [[nodiscard]] double matmul_efficiency_for(DType d, bool block_scaled) const {
        if (block_fp8(d, block_scaled)) return fp8_block_matmul_efficiency;
        return tensor_fp8(d, block_scaled) ? fp8_matmul_efficiency : matmul_efficiency;
    }
    /// Whether a product runs on the per-tensor FP8 efficiency (a per-tensor-scaled FP8 product, on a chip that
    /// has it; block-scaled products without the block pair take the chip-wide figures).
    [[nodiscard]] bool tensor_fp8(DType d, bool block_scaled) const {
        return d == DType::fp8 && !block_scaled && fp8_matmul_efficiency > 0;
    }
    [[nodiscard]] double tile_overhead_for(DType d, bool block_scaled) const {
        return block_fp8(d, block_scaled) ? fp8_block_tile_overhead_s : tile_overhead_s;
    }
    /// Whether the chip has figures for attention `kernel` (the standard kernel: always).
    [[nodiscard]] bool has(AttentionKernel kernel) const {
        return kernel == AttentionKernel::standard || flash_triton_attention_efficiency > 0;
    }
    /// The efficiency of attention `kernel` in `pass`; a kernel the chip has no figures for (has() false)
    /// takes the standard kernel's (callers check has() first: the training model rejects such a plan).
    /// `latent`: decode's absorbed latent attention (Attention::shared_kv), at latent_attention_efficiency
    /// where the chip has it.
    [[nodiscard]] double attention_efficiency_for(Pass pass, AttentionKernel kernel, bool latent = false) const {
        if (latent && pass == Pass::forward && latent_attention_efficiency > 0) return latent_attention_efficiency;
        const bool triton = kernel == AttentionKernel::flash_triton && has(kernel);
        if (pass == Pass::forward) return triton ? flash_triton_attention_efficiency : attention_efficiency;
        return triton ? flash_triton_attention_backward_efficiency : attention_backward_efficiency;
    }
};

/// Builds the model of a chip; the error lists every unknown figure the model needs.
std::variant<ChipModel, std::string> make_chip_model(const catalog::ChipSpec& chip);

/// Thrown by the cost functions for a dtype the chip has no peak for (e.g. FP8 on Ascend 910B).
class UnsupportedDType : public std::runtime_error {
public:
    UnsupportedDType(const ChipModel& chip, DType d);
};

}  // namespace clustersim::chip
