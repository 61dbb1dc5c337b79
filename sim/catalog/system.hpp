#pragma once
// A system preset (models/systems/*.yaml): a chip, a count, and the system-level
// figures that are not per-chip sums (all-in power, host memory, cabinets).
#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include "catalog/figure.hpp"
#include "catalog/topology_spec.hpp"
#include "units/quantity.hpp"

namespace clustersim::catalog {

struct SystemSpec {
    std::string id;
    std::string name;
    std::string vendor;
    int year = 0;
    std::string status;
    std::map<std::string, std::string, std::less<>> sources;
    std::string notes;

    std::string chip_id;
    /// Chip figures this system is quoted with where they differ from the chip file
    /// (e.g. CloudMatrix 384 at SemiAnalysis' 780 TFLOPS per 910C). Names are chip figure names.
    FigureOverrides chip_overrides;

    Figure<std::int64_t> chip_count;       ///< always known
    Figure<std::int64_t> scale_up_domain;  ///< chips per scale-up (NVLink / UB) domain
    Figure<std::int64_t> cabinets;
    Figure<units::Bytes> host_memory;      ///< CPU memory vendors count as "fast memory" (Grace/Vera LPDDR5X)
    Figure<units::Watts> power_all_in;     ///< whole system: chips, CPUs, switches, optics, as the source counts
    Figure<units::Usd> price;              ///< whole system, as the source counts it (the note says what is in it)

    /// The system's network, when the file gives one (its accelerator count equals chip_count).
    std::shared_ptr<const TopologySpec> topology;
};

inline constexpr std::array<FigureInfo, 6> system_figures{{
    {"chip_count", FigureKind::count, false, "accelerators (packages) in the system"},
    {"scale_up_domain", FigureKind::count, false, "accelerators per scale-up domain"},
    {"cabinets", FigureKind::count, false, "cabinets (racks)"},
    {"host_memory", FigureKind::data, false, "host (CPU) memory of the whole system"},
    {"power_all_in", FigureKind::power, false, "all-in system power"},
    {"price", FigureKind::price, false, "price of the whole system"},
}};

template <class System, class F>
void for_each_figure_of_system(System& s, F&& f) {
    f(system_figures[0], s.chip_count);
    f(system_figures[1], s.scale_up_domain);
    f(system_figures[2], s.cabinets);
    f(system_figures[3], s.host_memory);
    f(system_figures[4], s.power_all_in);
    f(system_figures[5], s.price);
}

}  // namespace clustersim::catalog
