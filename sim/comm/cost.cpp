#include "comm/cost.hpp"

#include <cmath>
#include <string_view>

namespace clustersim::comm {

const LevelCost& CostModel::level(std::size_t l) const {
    static const LevelCost none{};  // an immutable default, not state
    return l < levels.size() ? levels[l] : none;
}

std::string_view to_string(KernelFamily f) { return f == KernelFamily::ring ? "ring" : "tree"; }

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
        if (l.compute_units_busy < 0) out.push_back(at + ".compute_units_busy must be >= 0");
        if (l.one_sided && bad(l.one_sided->peer_latency.si())) out.push_back(at + ".one_sided.peer_latency must be finite and >= 0");
        if (l.one_sided && !(l.one_sided->efficiency > 0 && l.one_sided->efficiency <= 1))
            out.push_back(at + ".one_sided.efficiency must be in (0, 1]");
        if (l.in_network && !(l.in_network->efficiency > 0 && l.in_network->efficiency <= 1))
            out.push_back(at + ".in_network.efficiency must be in (0, 1]");
        for (std::size_t k = 0; k < l.protocols.size(); ++k) {
            const auto& pc = l.protocols[k];
            const std::string pat = at + ".protocols[" + std::to_string(k) + "]";
            if (pc.name.empty()) out.push_back(pat + ".name must not be empty");
            if (bad(pc.step_latency.si())) out.push_back(pat + ".step_latency must be finite and >= 0");
            if (!(pc.bandwidth_factor > 0 && pc.bandwidth_factor <= 1)) out.push_back(pat + ".bandwidth_factor must be in (0, 1]");
        }
    }
    for (std::size_t k = 0; k < protocols.size(); ++k) {
        const std::string at = "protocols[" + std::to_string(k) + "]";
        if (protocols[k].name.empty()) out.push_back(at + ".name must not be empty");
        if (bad(protocols[k].launch_latency.si())) out.push_back(at + ".launch_latency must be finite and >= 0");
        for (std::size_t j = 0; j < k; ++j)
            if (protocols[j].name == protocols[k].name && protocols[j].family == protocols[k].family)
                out.push_back(at + ".name '" + protocols[k].name + "' is listed twice for the " +
                              std::string(to_string(protocols[k].family)) + " kernels");
    }
    return out;
}

namespace presets {
namespace {

// DeepEP (deepseek-ai/DeepEP README, "Performance"; H800 with one CX7 400 Gb/s NIC each, 128 tokens per
// rank, hidden 7168, top-8, FP8 dispatch and BF16 combine). Low-latency kernels, dispatch + combine:
// EP16 118 + 195 = 313 us, EP256 194 + 360 = 554 us. Fitted to the graph model (launch 8.4 us and a
// 14 us step per call; at EP16 8 of 16 shares cross InfiniBand, at EP256 248 of 256): a per-peer cost
// of 0 (the latency does not grow with the peers beyond the bytes) and 0.82 of the 50 GB/s line rate
// (41 GB/s; the README's "39-43 GB/s" RDMA bandwidths). Normal kernels inside a node: 153 GB/s of the
// H800's 200 GB/s one-way NVLink (0.77).
// SMs: the low-latency kernels hold none while the transfer is in flight (deepseek-ai/profile-data
// README: in decode "the all-to-all communication ... does not occupy GPU SMs: after RDMA messages are
// issued, all GPU SMs are freed"); the normal kernels run on 24 SMs (DeepEP README, V1 example
// Buffer.set_num_sms(24); DeepSeek's prefill trace runs computation on 108 of the 132 SMs,
// docs/research/prefill-kernel-gap.md).
constexpr std::int64_t deepep_normal_sms = 24;
OneSidedLibrary deepep_rdma() {
    return {units::Seconds(0.0), 0.82,
            "DeepEP low-latency kernels on H800 + CX7 400G (README): dispatch + combine 313 us at EP16, 554 us at EP256 for "
            "128 tokens per rank; fitted: no per-peer cost, 0.82 of line rate; SMs held: none by the low-latency kernels "
            "in flight (deepseek-ai/profile-data README), 24 by the normal ones (DeepEP README, Buffer.set_num_sms(24))",
            0, deepep_normal_sms};
}
OneSidedLibrary deepep_nvlink() {
    return {units::Seconds(0.0), 0.77,
            "DeepEP intranode kernels on H800 (README): 153 GB/s of 200 GB/s one-way NVLink; the same fraction assumed for "
            "every NVLink generation; SMs held as deepep_rdma's",
            0, deepep_normal_sms};
}

// NCCL runs one thread block per channel, each on an SM of its own.
constexpr std::int64_t nccl_sms = 16;
constexpr const char* nccl_sms_source =
    "16 SMs held while a collective runs: NCCL maintainer, NVIDIA/nccl#689 ('on DGX with 8 NICs ... it would use 16 "
    "SMs'; 'NCCL CTAs won't share an SM with compute kernels')";

}  // namespace

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
    c.compute_units_busy = nccl_sms;
    c.one_sided = deepep_nvlink();
    c.protocols = nccl_nvlink_protocols();
    c.source =
        "efficiency 20.6/25: NCCL src/graph/topo.h SM90_NVLINK_BW 20.6 GB/s per 25 GB/s link (nccl-tests#212: "
        "370 of 450 GB/s); step 3.4 us: NCCL tuning.cc hwLat NVLink/Ring/Simple; " + std::string(nccl_sms_source);
    return c;
}

LevelCost nvlink5_nccl() {
    LevelCost c = nvlink4_nccl_no_nvls();
    c.efficiency = 40.1 / 50.0;
    c.in_network = InNetworkReduction{0.85, true, "NVLS efficiency assumed equal to Hopper's 0.85 (NCCL tuning.cc)"};
    c.source =
        "efficiency 40.1/50: NCCL src/graph/topo.h SM100_NVLINK_BW 40.1 GB/s per 50 GB/s NVLink 5 link; step 3.4 us "
        "and NVLS efficiency 0.85 as for Hopper (assumed: NCCL's Blackwell values not found); " + std::string(nccl_sms_source);
    return c;
}

LevelCost nvlink6_nccl() {
    LevelCost c = nvlink5_nccl();
    c.source =
        "NVLink 6 (Rubin, 36 links of 50 GB/s per direction): NCCL's figures for it are not public, so NVLink 5's are "
        "assumed (efficiency 40.1/50 from SM100_NVLINK_BW, step 3.4 us, NVLS 0.85); " + std::string(nccl_sms_source);
    return c;
}

LevelCost ndr400_nccl() {
    LevelCost c;
    c.step_latency = units::Seconds(14e-6);
    c.hop_latency = units::Seconds(0.0);
    c.efficiency = 47.0 / 50.0;
    c.compute_units_busy = nccl_sms;
    c.one_sided = deepep_rdma();
    c.protocols = nccl_net_protocols();
    c.source =
        "efficiency 47/50: nccl-tests#290 (NCCL maintainer: 46-48 GB/s per 400 Gb/s NIC); step 14 us: NCCL "
        "tuning.cc hwLat Net/Ring/Simple; " + std::string(nccl_sms_source);
    return c;
}

LevelCost cloudmatrix_ub() {
    LevelCost c;
    c.hop_latency = units::Seconds(200e-9);
    c.step_latency = units::Seconds(1.2e-6 - 2 * 200e-9);
    c.efficiency = 1.0;
    // FusedDispatch at 128 tokens per rank: 116 us at EP8, 152 us at EP256 (combine: 118, 149 us):
    // (152 - 116) / (255 - 7) = 0.145 us per further peer (combine: 0.125). Payload rate at EP8:
    // dispatch 71 GB/s (INT8), combine 131 GB/s (BF16) of 196 GB/s per die: 0.36 and 0.67, mean 0.5.
    c.one_sided = OneSidedLibrary{units::Seconds(0.145e-6), 0.5,
                                  "CloudMatrix-Infer FusedDispatch/FusedCombine (arXiv 2506.12708 section 4.5; docs/research/cloudmatrix-serving.md); "
                                  "no cube (AI) cores held: in prefill the overlapped transfers run on the SDMA engines (hicann/cann-recipes-infer "
                                  "deepseek_r1_prefill_optimization.md: SDMA mode, not AIV, while overlapping); in decode "
                                  "FusedDispatch writes with AIV-Direct on the vector cores (paper section 4.5), which the "
                                  "matrix products and attention do not use",
                                  0, 0};
    c.source =
        "CloudMatrix384 (arXiv 2506.12708): 196 GB/s per die = 7 x 224 Gb/s line rate, 1.2 us for 512 B; hop 200 ns: "
        "UB 2.0 single-hop figure (assumed for CM384); one-sided peer latency 0.145 us: FusedDispatch 116 us at EP8 and "
        "152 us at EP256 for 128 tokens per rank; one-sided efficiency 0.5: the mean of dispatch 71 and combine 131 GB/s "
        "per die at EP8 over 196 (paper section 4.5, as transcribed in docs/research/cloudmatrix-serving.md)";
    return c;
}

LevelCost nvlink3_nccl() {
    LevelCost c = nvlink4_nccl_no_nvls();
    c.efficiency = 20.0 / 25.0;
    c.source =
        "efficiency 20.0/25: NCCL src/graph/topo.h SM80_NVLINK_BW 20.0 GB/s per 25 GB/s NVLink 3 link; step 3.4 us: "
        "NCCL tuning.cc hwLat NVLink/Ring/Simple (one value for every NVLink generation); no NVLS on A100; " +
        std::string(nccl_sms_source);
    return c;
}

LevelCost hdr200_nccl() {
    LevelCost c = ndr400_nccl();
    c.efficiency = 24.0 / 25.0;
    c.source =
        "efficiency 24/25: NVIDIA/nccl#412 (NCCL maintainer: ~24 GB/s inter-node per 200 Gb/s HDR NIC); step 14 us: "
        "NCCL tuning.cc hwLat Net/Ring/Simple; " + std::string(nccl_sms_source);
    return c;
}

LevelCost tpu_ici() {
    LevelCost c;
    c.step_latency = units::Seconds(1e-6);
    c.hop_latency = units::Seconds(0.0);
    c.efficiency = 45.0 / 50.0;
    c.source =
        "efficiency 45/50: 4.5e10 B/s one-way per ICI link (J. Austin et al., 'How to Scale Your Model', TPUs chapter) "
        "over the 50 GB/s line rate (TPU v4, Jouppi et al. ISCA 2023); step 1 us: assumed (no public figure); "
        "no compute units held: ICI transfers are DMA-driven (assumed)";
    return c;
}

LevelCost hccs() {
    LevelCost c;
    c.step_latency = units::Seconds(1.2e-6);
    c.hop_latency = units::Seconds(0.0);
    c.efficiency = 135.1 / 196.0;
    c.source =
        "efficiency 135.1/196 = 0.689: HCCL's own fitted cost of 910B full-mesh collectives on 8 dies (hicann/ops-transformer "
        "mc2/common/op_host/op_tiling/hccl_performance.cpp: all-reduce 13.585 us per MiB above 8 MiB, a 135.1 GB/s bus "
        "bandwidth, 19.3 GB/s per 28 GB/s HCCS link; torch_npu's all_gather/all_reduce on 8 x 910B measure 130/126 GB/s, "
        "docs/research/ascend-tp-communication.md); step 1.2 us: arXiv 2506.12708's 512 B NPU-to-NPU latency (assumed "
        "for HCCS); compute units held by HCCL: not public, taken as none";
    return c;
}

units::Seconds nccl_launch_latency() { return units::Seconds(8.4e-6); }

// NCCL src/graph/tuning.cc (2.2x): baseLat = {LL, LL128, Simple}: Ring {6.6, 14.0, 8.4}, Tree {6.8, 14.0,
// 8.4} us; hwLat[NVLINK]: Ring {0.6, 1.9, 3.4}, Tree {0.6, 1.25, 4.0} us; hwLat[NET]: Ring {2.7, 4.0, 14.0},
// Tree {5.0, 8.5, 14} us. ncclTopoTuneModel's refinements: Ring LL busBw x 0.5 (capped at llMaxBw), Ring
// LL128 x 0.92 (120 of 128 bytes; capped per channel); Tree LL x 1/3.8, Tree LL128 x 7/9 on one node and
// 120/128 across nodes (the NVLink and network levels here). The caps (e.g. LL 141 GB/s busbw inside a
// Hopper node) bind only at sizes where Simple is faster anyway.
std::vector<Protocol> nccl_protocols() {
    using F = KernelFamily;
    return {{"LL", F::ring, units::Seconds(6.6e-6)},
            {"LL128", F::ring, units::Seconds(14.0e-6)},
            {"LL", F::tree, units::Seconds(6.8e-6)},
            {"LL128", F::tree, units::Seconds(14.0e-6)}};
}
std::vector<ProtocolCost> nccl_nvlink_protocols() {
    using F = KernelFamily;
    return {{"LL", F::ring, units::Seconds(0.6e-6), 0.5},
            {"LL128", F::ring, units::Seconds(1.9e-6), 0.92},
            {"LL", F::tree, units::Seconds(0.6e-6), 1.0 / 3.8},
            {"LL128", F::tree, units::Seconds(1.25e-6), 7.0 / 9.0}};
}
std::vector<ProtocolCost> nccl_net_protocols() {
    using F = KernelFamily;
    return {{"LL", F::ring, units::Seconds(2.7e-6), 0.5},
            {"LL128", F::ring, units::Seconds(4.0e-6), 0.92},
            {"LL", F::tree, units::Seconds(5.0e-6), 1.0 / 3.8},
            {"LL128", F::tree, units::Seconds(8.5e-6), 120.0 / 128.0}};
}

}  // namespace presets

namespace {

// A token of a level name: a part between '_', '-' or the ends ("hdr" in "infiniband_hdr").
bool has_token(std::string_view name, std::string_view token) {
    std::size_t start = 0;
    while (start <= name.size()) {
        std::size_t end = name.find_first_of("_-", start);
        if (end == std::string_view::npos) end = name.size();
        if (name.substr(start, end - start) == token) return true;
        start = end + 1;
    }
    return false;
}

bool contains(std::string_view name, std::string_view part) { return name.find(part) != std::string_view::npos; }

}  // namespace

PresetChoice preset_for_level(const topo::LevelInfo& level, double chip_scale_up_Bps) {
    const std::string_view n = level.name;
    if (contains(n, "nvlink")) {
        // NVLink's generation by the chip's scale-up bandwidth per direction: A100's 12 links of 25 GB/s
        // (300 GB/s) are NVLink 3, Hopper's 18 (450 GB/s) NVLink 4, Blackwell's 18 of 50 GB/s (900 GB/s)
        // NVLink 5 (also when unknown), Rubin's 36 (1.8 TB/s) NVLink 6.
        const bool known = std::isfinite(chip_scale_up_Bps) && chip_scale_up_Bps > 0;
        if (known && chip_scale_up_Bps <= 300e9) return {presets::nvlink3_nccl(), "NVLink 3 with NCCL (presets::nvlink3_nccl)"};
        if (known && chip_scale_up_Bps <= 450e9) return {presets::nvlink4_nccl(), "NVLink 4 with NCCL (presets::nvlink4_nccl)"};
        if (known && chip_scale_up_Bps > 900e9)
            return {presets::nvlink6_nccl(), "NVLink 6 with NCCL, NVLink 5's figures assumed (presets::nvlink6_nccl)"};
        return {presets::nvlink5_nccl(), "NVLink 5 with NCCL (presets::nvlink5_nccl)"};
    }
    if (has_token(n, "hccs")) return {presets::hccs(), "Ascend HCCS with HCCL (presets::hccs)", true};
    if (has_token(n, "ici")) return {presets::tpu_ici(), "TPU ICI (presets::tpu_ici)", true};
    if (contains(n, "ub") || contains(n, "dim") || contains(n, "hrs")) {
        return {presets::cloudmatrix_ub(), "CloudMatrix 384 UB (presets::cloudmatrix_ub)", true};
    }
    if (level.plane_kind == topo::PlaneKind::scale_out) {
        if (has_token(n, "hdr") || has_token(n, "200g")) return {presets::hdr200_nccl(), "200G NIC with NCCL (presets::hdr200_nccl)"};
        return {presets::ndr400_nccl(), "400G NIC with NCCL (presets::ndr400_nccl)"};
    }
    return {LevelCost{}, "no preset: line rate, no latency"};
}

CostModel preset_cost_model(const topo::Topology& t, double chip_scale_up_Bps) {
    CostModel cost;
    cost.launch_latency = presets::nccl_launch_latency();
    cost.protocols = presets::nccl_protocols();
    bool nccl = true;  // NCCL drives every level: no level of another library (HCCL, XLA)
    std::vector<bool> borrowed;  // levels with an NCCL preset
    for (const auto& level : t.levels()) {
        auto choice = preset_for_level(level, chip_scale_up_Bps);
        if (!cost.source.empty()) cost.source += "; ";
        cost.source += level.name + ": " + choice.label;
        nccl = nccl && !choice.other_library;
        borrowed.push_back(!choice.other_library);
        cost.levels.push_back(std::move(choice.cost));
    }
    // An Ascend or TPU cluster's scale-out level gets the 400G preset for its bandwidth and latency, but
    // its library is HCCL or XLA, whose protocols are not public: NCCL's LL and LL128 only where NCCL runs,
    // DeepEP's kernels (the NCCL presets' one-sided library) only on NVIDIA clusters, and NCCL's 16 SMs
    // neither: HCCL's default transfers run on DMA engines, not on the AI cores (Huawei's DeepSeek-R1
    // prefill recipe, hicann/cann-recipes-infer: SDMA mode rather than AIV while overlapping computation).
    if (!nccl) {
        cost.protocols.clear();
        for (std::size_t l = 0; l < cost.levels.size(); ++l) {
            cost.levels[l].protocols.clear();
            if (!borrowed[l]) continue;
            cost.levels[l].one_sided.reset();
            cost.levels[l].compute_units_busy = 0;
            cost.levels[l].source += "; no compute units held: HCCL/XLA transfers are DMA-driven (HCCL's SDMA mode)";
        }
    }
    return cost;
}

}  // namespace clustersim::comm
