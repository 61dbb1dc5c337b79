#pragma once
// A cluster as the models see it: one chip type (with every override applied),
// a count, and the system-level figures scaled to that count.
#include <cstdint>
#include <string>

#include "catalog/chip.hpp"
#include "catalog/system.hpp"

namespace clustersim::catalog {

struct Cluster {
    std::string system_id;  ///< empty when the case names a chip and a count
    ChipSpec chip;          ///< effective per-chip figures
    std::int64_t chip_count = 0;
    Figure<std::int64_t> scale_up_domain;  ///< chips per scale-up domain, at most chip_count
    Figure<units::Bytes> host_memory;      ///< whole cluster
    Figure<units::Watts> power_all_in;     ///< whole cluster
};

/// A system preset, optionally resized to `chip_count` chips. System-level totals
/// (all-in power, host memory) scale per chip when resized; their provenance says so.
/// Chip figures: the chip file, then the system's pinned figures, then `case_overrides`.
Cluster make_cluster(const SystemSpec& system, const ChipSpec& chip, std::optional<std::int64_t> chip_count,
                     const FigureOverrides& case_overrides);

/// `chip_count` chips of one kind with no system-level figures.
Cluster make_cluster(const ChipSpec& chip, std::int64_t chip_count, const FigureOverrides& case_overrides);

}  // namespace clustersim::catalog
