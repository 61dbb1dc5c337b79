#pragma once
// A cluster as the models see it: one chip type (with every override applied),
// a count, and the system-level figures scaled to that count.
#include <cstdint>
#include <memory>
#include <string>

#include "catalog/chip.hpp"
#include "catalog/system.hpp"

namespace clustersim::catalog {

struct Cluster {
    std::string system_id;                 ///< empty when the case names a chip and a count
    std::shared_ptr<const ChipSpec> chip;  ///< effective per-chip figures, shared between clusters
    std::int64_t chip_count = 0;
    Figure<std::int64_t> scale_up_domain;  ///< chips per scale-up domain, at most chip_count
    Figure<units::Bytes> host_memory;      ///< whole cluster
    Figure<units::Watts> power_all_in;     ///< whole cluster
    Figure<units::Usd> price;              ///< whole cluster: the system price, scaled per chip when resized
    /// Floor space, in the system's cabinets (racks) scaled per chip when resized (a fraction of a
    /// cabinet for part of one); unknown for a chip + count case or a system without the figure.
    std::optional<double> cabinets;
    std::shared_ptr<const TopologySpec> topology;  ///< the network, when known
};

/// A chip's effective figures: the chip file, then a system's pinned figures, then a case's overrides.
std::shared_ptr<const ChipSpec> effective_chip(const ChipSpec& chip, const FigureOverrides& system_pins,
                                               const FigureOverrides& case_overrides);

/// A system preset with its effective chip, optionally resized to `chip_count` chips. System-level
/// totals (all-in power, host memory, price) scale per chip when resized; their provenance says so.
Cluster make_cluster(const SystemSpec& system, std::shared_ptr<const ChipSpec> chip,
                     std::optional<std::int64_t> chip_count);

/// `chip_count` chips of one kind with no system-level figures.
Cluster make_cluster(std::shared_ptr<const ChipSpec> chip, std::int64_t chip_count);

/// Conveniences that build the effective chip first.
Cluster make_cluster(const SystemSpec& system, const ChipSpec& chip, std::optional<std::int64_t> chip_count,
                     const FigureOverrides& case_overrides);
Cluster make_cluster(const ChipSpec& chip, std::int64_t chip_count, const FigureOverrides& case_overrides);

}  // namespace clustersim::catalog
