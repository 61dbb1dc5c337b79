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

    [[nodiscard]] const Figure<units::FlopsPerSecond>& peak_dense(Precision p) const;
};

inline constexpr std::array<FigureInfo, 9> chip_figures{{
    {"bf16_dense", FigureKind::compute_rate, false, "dense peak BF16 FLOP/s"},
    {"fp8_dense", FigureKind::compute_rate, false, "dense peak FP8 FLOP/s"},
    {"fp4_dense", FigureKind::compute_rate, false, "dense peak FP4 FLOP/s"},
    {"int8_dense", FigureKind::compute_rate, false, "dense peak INT8 OP/s"},
    {"hbm_capacity", FigureKind::data, false, "HBM capacity"},
    {"hbm_bandwidth", FigureKind::data_rate, false, "HBM bandwidth"},
    {"scale_up_bandwidth", FigureKind::data_rate, true, "scale-up bandwidth per chip, one direction"},
    {"scale_out_bandwidth", FigureKind::data_rate, true, "scale-out (NIC) bandwidth per chip, one direction"},
    {"tdp", FigureKind::power, false, "chip or board power (TDP)"},
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
}

/// Returns a copy of `chip` with the overridden figures replaced (names must be chip figure names).
ChipSpec apply_overrides(ChipSpec chip, const FigureOverrides& overrides);

}  // namespace clustersim::catalog
