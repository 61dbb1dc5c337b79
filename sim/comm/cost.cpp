#include "comm/cost.hpp"

#include <cmath>

namespace clustersim::comm {

const LevelCost& CostModel::level(std::size_t l) const {
    static const LevelCost none{};  // an immutable default, not state
    return l < levels.size() ? levels[l] : none;
}

std::vector<std::string> CostModel::problems() const {
    std::vector<std::string> out;
    auto bad = [](double v) { return !std::isfinite(v) || v < 0; };
    if (bad(launch_latency.si())) out.emplace_back("launch_latency must be finite and >= 0");
    for (std::size_t i = 0; i < levels.size(); ++i) {
        const auto& l = levels[i];
        const std::string at = "levels[" + std::to_string(i) + "]";
        if (bad(l.step_latency.si())) out.push_back(at + ".step_latency must be finite and >= 0");
        if (bad(l.hop_latency.si())) out.push_back(at + ".hop_latency must be finite and >= 0");
        if (!(l.efficiency > 0 && l.efficiency <= 1)) out.push_back(at + ".efficiency must be in (0, 1]");
        if (l.in_network && !(l.in_network->efficiency > 0 && l.in_network->efficiency <= 1))
            out.push_back(at + ".in_network.efficiency must be in (0, 1]");
    }
    return out;
}

namespace presets {

LevelCost nvlink4_nccl() {
    LevelCost c = nvlink4_nccl_no_nvls();
    c.in_network = InNetworkReduction{0.85, true, "NCCL tuning.cc nvlsEfficiency[Hopper] = 0.85; NVLS = multimem.ld_reduce + multimem.st"};
    c.source += "; NVLS efficiency 0.85 (NCCL tuning.cc, Hopper)";
    return c;
}

LevelCost nvlink4_nccl_no_nvls() {
    LevelCost c;
    c.step_latency = units::Seconds(3.4e-6);
    c.hop_latency = units::Seconds(0.0);
    c.efficiency = 20.6 / 25.0;
    c.source =
        "efficiency 20.6/25: NCCL src/graph/topo.h SM90_NVLINK_BW 20.6 GB/s per 25 GB/s link (nccl-tests#212: "
        "370 of 450 GB/s); step 3.4 us: NCCL tuning.cc hwLat NVLink/Ring/Simple";
    return c;
}

LevelCost nvlink5_nccl() {
    LevelCost c = nvlink4_nccl_no_nvls();
    c.efficiency = 40.1 / 50.0;
    c.in_network = InNetworkReduction{0.85, true, "NVLS efficiency assumed equal to Hopper's 0.85 (NCCL tuning.cc)"};
    c.source =
        "efficiency 40.1/50: NCCL src/graph/topo.h SM100_NVLINK_BW 40.1 GB/s per 50 GB/s NVLink 5 link; step 3.4 us "
        "and NVLS efficiency 0.85 as for Hopper (assumed: NCCL's Blackwell values not found)";
    return c;
}

LevelCost ndr400_nccl() {
    LevelCost c;
    c.step_latency = units::Seconds(14e-6);
    c.hop_latency = units::Seconds(0.0);
    c.efficiency = 47.0 / 50.0;
    c.source =
        "efficiency 47/50: nccl-tests#290 (NCCL maintainer: 46-48 GB/s per 400 Gb/s NIC); step 14 us: NCCL "
        "tuning.cc hwLat Net/Ring/Simple";
    return c;
}

LevelCost cloudmatrix_ub() {
    LevelCost c;
    c.hop_latency = units::Seconds(200e-9);
    c.step_latency = units::Seconds(1.2e-6 - 2 * 200e-9);
    c.efficiency = 1.0;
    c.source =
        "CloudMatrix384 (arXiv 2506.12708): 196 GB/s per die = 7 x 224 Gb/s line rate, 1.2 us for 512 B; hop 200 ns: "
        "UB 2.0 single-hop figure (assumed for CM384)";
    return c;
}

units::Seconds nccl_launch_latency() { return units::Seconds(8.4e-6); }

}  // namespace presets

}  // namespace clustersim::comm
