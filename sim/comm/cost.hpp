#pragma once
// The non-topological inputs of the collective cost model: per-step software latency, per-hop
// latency, the fraction of a link's line rate a protocol delivers, and in-network reduction.
// Every figure is an input with its source; nothing is fitted inside the model. Presets give
// published figures (each citing where it comes from); callers may override any of them.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "units/quantity.hpp"

namespace clustersim::comm {

/// Switches of a level that reduce data in the network (NVLink SHARP, InfiniBand SHARP).
struct InNetworkReduction {
    /// Fraction of the links' effective bandwidth an in-network reduction achieves (switch ALU and
    /// multicast throughput), on top of LevelCost::efficiency. 0 < efficiency <= 1.
    double efficiency = 1.0;
    /// NVLS style (multimem.ld_reduce then multimem.st): a rank sends and receives n(1 + 1/p) for
    /// an all-reduce of n. Otherwise SHARP style: n each way.
    bool load_store = false;
    std::string source;
};

/// Costs of one topology level (a scale-up domain's fabric, a scale-out network).
/// Invariants: latencies >= 0; 0 < efficiency <= 1.
struct LevelCost {
    units::Seconds step_latency;  ///< alpha: per algorithm step whose flows use this level (software, sync, DMA)
    units::Seconds hop_latency;   ///< per link hop inside this level, added to LinkSpec::latency
    double efficiency = 1.0;      ///< payload bandwidth / line rate for this level's protocol
    std::optional<InNetworkReduction> in_network;
    std::string source;
};

/// Costs of every level, bottom (scale-up) first, as in topo::Topology::levels(). Levels beyond
/// `levels` cost LevelCost{} (no latency, full line rate, no in-network reduction).
struct CostModel {
    std::vector<LevelCost> levels;
    units::Seconds launch_latency;  ///< once per collective call (NCCL's base latency)
    std::string source;

    [[nodiscard]] const LevelCost& level(std::size_t l) const;
    /// Problems (empty: valid).
    [[nodiscard]] std::vector<std::string> problems() const;
};

/// Published figures, each with its source in `source`. See docs/models/comm.md for how each is
/// derived; none is fitted to the validation targets.
namespace presets {

/// NVLink 4 (H100, NVSwitch gen 3) under NCCL's Simple protocol. efficiency 20.6/25 = 0.824:
/// NCCL's own per-link NVLink bandwidth for SM90 (src/graph/topo.h, SM90_NVLINK_BW 20.6 GB/s) over
/// the 25 GB/s line rate, matching NCCL's maintainer: "effective NVLink bandwidth of 370 GB/s" of
/// 450 (nccl-tests issue 212). step latency 3.4 us: NCCL tuning.cc hwLat[NVLINK][RING][SIMPLE].
/// NVLS: efficiency 0.85 (NCCL tuning.cc nvlsEfficiency, Hopper), load/store semantics.
LevelCost nvlink4_nccl();
/// NVLink 4 without NVLS (NCCL_NVLS_ENABLE=0, or no NVSwitch SHARP).
LevelCost nvlink4_nccl_no_nvls();
/// NVLink 5 (Blackwell, NVL72) under NCCL's Simple protocol: efficiency 40.1/50 = 0.802 from NCCL's
/// src/graph/topo.h SM100_NVLINK_BW (per 50 GB/s link, one direction), derived like nvlink4_nccl; the
/// step latency and the NVLS efficiency are Hopper's (assumed).
LevelCost nvlink5_nccl();
/// InfiniBand NDR / 400G RoCE with NCCL: efficiency 0.94 = 47 GB/s of 50 per 400 Gb/s NIC (NCCL
/// maintainer, nccl-tests issue 290: "For NDR @ 400Gbps you should see 46-48GB/s per NIC"; midpoint).
/// step latency 14 us: NCCL tuning.cc hwLat[NET][RING][SIMPLE]. No SHARP.
LevelCost ndr400_nccl();
/// CloudMatrix 384 UB plane: the measured NPU-to-NPU bandwidth, 196 GB/s per die, equals the line
/// rate of 7 x 224 Gb/s (arXiv 2506.12708), so efficiency 1. hop latency 200 ns per UB switch hop
/// (UB 2.0 single-hop figure, hardware reference section 5.3 [S39]: an assumption for CM384's UB).
/// step latency 1.2 us - 2 hops x 200 ns = 0.8 us: from the paper's 1.2 us 512 B NPU-to-NPU latency
/// (so that row of the validation table is a calibration, not a check).
LevelCost cloudmatrix_ub();
/// NCCL's base latency of a ring all-reduce with the Simple protocol: 8.4 us (tuning.cc baseLat).
units::Seconds nccl_launch_latency();

}  // namespace presets

}  // namespace clustersim::comm
