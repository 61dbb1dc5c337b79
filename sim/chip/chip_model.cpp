#include "chip/chip_model.hpp"

#include <vector>

namespace clustersim::chip {

std::string_view to_string(DType d) {
    switch (d) {
        case DType::bf16: return "bf16";
        case DType::fp16: return "fp16";
        case DType::fp8: return "fp8";
        case DType::fp4: return "fp4";
        case DType::int8: return "int8";
    }
    return "?";
}

std::optional<DType> dtype_from_string(std::string_view s) {
    for (const auto d : all_dtypes) {
        if (to_string(d) == s) return d;
    }
    return std::nullopt;
}

double bytes_per_element(DType d) {
    switch (d) {
        case DType::bf16:
        case DType::fp16: return 2.0;
        case DType::fp8:
        case DType::int8: return 1.0;
        case DType::fp4: return 0.5;
    }
    return 2.0;
}

std::variant<ChipModel, std::string> make_chip_model(const catalog::ChipSpec& chip) {
    ChipModel m;
    m.id = chip.id;
    std::vector<std::string> missing;
    auto need = [&missing](const auto& figure, std::string_view name, auto& out) {
        if (figure.known()) {
            out = catalog::to_si(*figure.value);
        } else {
            missing.emplace_back(name);
        }
    };
    auto peak = [&chip](catalog::Precision p) {
        const auto& f = chip.peak_dense(p);
        return f.known() ? f.value->si() : 0.0;
    };
    m.peak_flop_per_s[static_cast<std::size_t>(DType::bf16)] = peak(catalog::Precision::bf16);
    m.peak_flop_per_s[static_cast<std::size_t>(DType::fp16)] = peak(catalog::Precision::bf16);
    m.peak_flop_per_s[static_cast<std::size_t>(DType::fp8)] = peak(catalog::Precision::fp8);
    m.peak_flop_per_s[static_cast<std::size_t>(DType::fp4)] = peak(catalog::Precision::fp4);
    m.peak_flop_per_s[static_cast<std::size_t>(DType::int8)] = peak(catalog::Precision::int8);
    if (m.peak(DType::bf16) <= 0 && m.peak(DType::fp8) <= 0 && m.peak(DType::int8) <= 0) {
        missing.emplace_back("bf16_dense, fp8_dense or int8_dense");
    }
    need(chip.hbm_bandwidth, "hbm_bandwidth", m.hbm_bytes_per_s);
    need(chip.compute_units, "compute_units", m.compute_units);
    need(chip.matmul_tile_m, "matmul_tile_m", m.tile_m);
    need(chip.matmul_tile_n, "matmul_tile_n", m.tile_n);
    need(chip.matmul_efficiency, "matmul_efficiency", m.matmul_efficiency);
    need(chip.matmul_tile_overhead, "matmul_tile_overhead", m.tile_overhead_s);
    need(chip.attention_efficiency, "attention_efficiency", m.attention_efficiency);
    need(chip.memory_efficiency, "memory_efficiency", m.memory_efficiency);
    need(chip.kernel_overhead, "kernel_overhead", m.kernel_overhead_s);
    need(chip.attention_backward_efficiency, "attention_backward_efficiency", m.attention_backward_efficiency);
    if (chip.vector_fp32.known()) m.vector_flop_per_s = chip.vector_fp32.value->si();
    if (chip.host_link_bandwidth.known()) m.host_link_bytes_per_s = chip.host_link_bandwidth.value->si();
    if (chip.latent_attention_efficiency.known()) m.latent_attention_efficiency = *chip.latent_attention_efficiency.value;
    if (chip.fp8_matmul_efficiency.known()) m.fp8_matmul_efficiency = *chip.fp8_matmul_efficiency.value;
    if (chip.fp8_operand_copies.known()) m.fp8_operand_copies = static_cast<int>(*chip.fp8_operand_copies.value);
    if (chip.matmul_wave_slices.known()) m.wave_slices = static_cast<double>(*chip.matmul_wave_slices.value);
    if (chip.causal_attention_extra_keys.known()) {
        m.causal_extra_keys = static_cast<double>(*chip.causal_attention_extra_keys.value);
    }
    if (chip.attention_query_extra_keys.known()) {
        m.query_extra_keys = static_cast<double>(*chip.attention_query_extra_keys.value);
    }
    // Optional figures that come as a pair (one fit, or one kernel's two passes): both known or neither;
    // one without the other is reported as missing, naming the known half.
    auto pair = [&missing](const auto& a, std::string_view a_name, double& a_out, const auto& b, std::string_view b_name,
                           double& b_out) {
        if (a.known() != b.known()) {
            missing.push_back(a.known() ? std::string(b_name) + " (" + std::string(a_name) + " is known)"
                                        : std::string(a_name) + " (" + std::string(b_name) + " is known)");
        } else if (a.known()) {
            a_out = catalog::to_si(*a.value);
            b_out = catalog::to_si(*b.value);
        }
    };
    // Block-scaled FP8 products' own efficiency and tile overhead (one fit).
    pair(chip.fp8_block_matmul_efficiency, "fp8_block_matmul_efficiency", m.fp8_block_matmul_efficiency,
         chip.fp8_block_matmul_tile_overhead, "fp8_block_matmul_tile_overhead", m.fp8_block_tile_overhead_s);
    // FlashAttention-Triton's forward and backward efficiency (one kernel).
    pair(chip.flash_triton_attention_efficiency, "flash_triton_attention_efficiency", m.flash_triton_attention_efficiency,
         chip.flash_triton_attention_backward_efficiency, "flash_triton_attention_backward_efficiency",
         m.flash_triton_attention_backward_efficiency);
    if (!missing.empty()) {
        std::string msg = "chip '" + chip.id + "' cannot be modelled: unknown ";
        for (std::size_t i = 0; i < missing.size(); ++i) msg += (i ? ", " : "") + missing[i];
        return msg + " (see docs/models/chip.md)";
    }
    return m;
}

UnsupportedDType::UnsupportedDType(const ChipModel& chip, DType d)
    : std::runtime_error([&] {
          std::string supported;
          for (const auto x : all_dtypes) {
              if (chip.supports(x)) supported += (supported.empty() ? "" : ", ") + std::string(to_string(x));
          }
          return "chip '" + chip.id + "' has no " + std::string(to_string(d)) +
                 " peak in the catalog; supported: " + (supported.empty() ? "none" : supported);
      }()) {}

}  // namespace clustersim::chip
