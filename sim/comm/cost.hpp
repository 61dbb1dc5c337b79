#pragma once
// The non-topological inputs of the collective cost model: per-step software latency, per-hop
// latency, the fraction of a link's line rate a protocol delivers, and in-network reduction.
// Every figure is an input with its source; nothing is fitted inside the model. Presets give
// published figures (each citing where it comes from); callers may override any of them.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "topo/topology.hpp"
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

/// A one-sided all-to-all library: expert dispatch and combine by remote writes to every peer at
/// once (CloudMatrix-Infer's FusedDispatch/FusedCombine, DeepEP's kernels).
struct OneSidedLibrary {
    units::Seconds peer_latency;  ///< what each further peer adds to one step latency
    double efficiency = 1.0;      ///< payload bandwidth / line rate (its copy and quantisation kernels bound it, not only the links)
    std::string source;
    /// Compute units (SMs) the library's kernels hold from overlapped computation while a transfer
    /// runs: its low-latency kernels (decode: DeepEP's issue RDMA writes and free the SMs) and its
    /// normal, throughput kernels (prefill: DeepEP's forward tokens between the levels on SMs of their
    /// own). 0: none (DMA-driven) or unknown.
    std::int64_t low_latency_units_busy = 0;
    std::int64_t normal_units_busy = 0;
};

/// The kernels an algorithm runs, for the protocols' figures: NCCL tunes its ring kernels (ring
/// all-reduce, reduce-scatter, all-gather, broadcast) and its tree kernels with different numbers.
enum class KernelFamily : std::uint8_t { ring, tree };
std::string_view to_string(KernelFamily f);

/// A level's figures under a protocol other than its default one (the LevelCost's own figures, NCCL's
/// Simple) for one kernel family: NCCL's LL (8-byte stores with an inline flag: low latency, a fraction
/// of the bandwidth) and LL128 (120 of 128 bytes payload). The tuner picks the protocol with the
/// algorithm, per size.
struct ProtocolCost {
    std::string name;             ///< e.g. "LL", "LL128"; a CostModel::protocols entry names it
    KernelFamily family = KernelFamily::ring;
    units::Seconds step_latency;  ///< replaces LevelCost::step_latency
    double bandwidth_factor = 1.0;  ///< of the level's effective bandwidth (0 < f <= 1)
};

/// Costs of one topology level (a scale-up domain's fabric, a scale-out network).
/// Invariants: latencies >= 0; 0 < efficiency <= 1.
struct LevelCost {
    units::Seconds step_latency;  ///< alpha: per algorithm step whose flows use this level (software, sync, DMA)
    units::Seconds hop_latency;   ///< per link hop inside this level, added to LinkSpec::latency
    double efficiency = 1.0;      ///< payload bandwidth / line rate for this level's protocol
    std::optional<InNetworkReduction> in_network;
    std::string source;
    /// Compute units (SMs) the collective library's kernels hold while a collective on this level
    /// runs, taken from compute it overlaps (NCCL runs each channel as a block on its own SM, never
    /// shared with compute kernels). 0: none (DMA-driven transfers) or unknown.
    std::int64_t compute_units_busy = 0;
    /// The level's one-sided all-to-all library, if it has one (the one_sided algorithm applies
    /// only where every level a group spans has one).
    std::optional<OneSidedLibrary> one_sided;
    /// The other protocols this level's library runs (empty: only its default one).
    std::vector<ProtocolCost> protocols;
};

/// A protocol a collective call may run under besides the default one, with its launch latency.
/// It applies to algorithms that run under protocols (AlgorithmEntry::protocols) where every level a
/// group's flows cross lists it (LevelCost::protocols).
struct Protocol {
    std::string name;
    KernelFamily family = KernelFamily::ring;
    units::Seconds launch_latency;  ///< replaces CostModel::launch_latency
};

/// Costs of every level, bottom (scale-up) first, as in topo::Topology::levels(). Levels beyond
/// `levels` cost LevelCost{} (no latency, full line rate, no in-network reduction).
struct CostModel {
    std::vector<LevelCost> levels;
    units::Seconds launch_latency;  ///< once per collective call (NCCL's base latency)
    std::vector<Protocol> protocols;  ///< besides the default one (NCCL: LL, LL128)
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
/// NVLink 6 (Rubin, NVL144): NVLink 5's figures (assumed; NCCL's Rubin values are not public), its own
/// label so that a run says which generation it assumed.
LevelCost nvlink6_nccl();
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
/// NVLink 3 (A100, NVSwitch gen 2) under NCCL's Simple protocol: efficiency 20.0/25 = 0.8 from
/// NCCL's src/graph/topo.h SM80_NVLINK_BW 20.0 GB/s per 25 GB/s link (one direction), derived like
/// nvlink4_nccl; step latency 3.4 us: NCCL tuning.cc hwLat[NVLINK][RING][SIMPLE], one value for every
/// NVLink generation. No NVLS: NVLink SHARP arrived with the third-generation NVSwitch (Hopper).
LevelCost nvlink3_nccl();
/// InfiniBand HDR / 200G RoCE with NCCL: efficiency 24/25 = 0.96 per 200 Gb/s NIC (NCCL maintainer,
/// NVIDIA/nccl issue 412: "you should get ~160GB/s intra-node and 24GB/s inter-node", the 200G HDR
/// peak). step latency 14 us: NCCL tuning.cc hwLat[NET][RING][SIMPLE] (as ndr400_nccl). No SHARP.
LevelCost hdr200_nccl();
/// TPU v4 ICI (a 3D torus of 6 links per chip, driven by XLA, no NCCL): efficiency 45/50 = 0.9, the
/// 4.5e10 B/s one-way per link of Google's scaling book over the 50 GB/s (400 Gb/s) line rate of
/// the TPU v4 paper's links. step latency 1 us: an assumption (no public per-step figure; ICI
/// collectives run from on-chip DMA without a host library, so of the order of CloudMatrix's
/// measured 1.2 us UB message latency rather than NCCL's 3.4 us).
LevelCost tpu_ici();
/// Ascend 910B HCCS (8-NPU full mesh in an Atlas 800T A2 server) under HCCL: efficiency 135.1/196 =
/// 0.689, the bus bandwidth of HCCL's own fitted cost model for 910B full-mesh collectives on 8 dies
/// (CANN's MC2 tiling code, hccl_performance.cpp: 13.585 us per MiB of all-reduce above 8 MiB; 19.3 of
/// 28 GB/s per link), which torch_npu's all-gather and all-reduce on 8 x 910B match (130 and 126 GB/s);
/// step latency 1.2 us, arXiv 2506.12708's 512 B NPU-to-NPU latency, the nearest published Ascend figure.
LevelCost hccs();
/// NCCL's base latency of a ring all-reduce with the Simple protocol: 8.4 us (tuning.cc baseLat).
units::Seconds nccl_launch_latency();
/// NCCL's LL and LL128 protocols with their base latencies (tuning.cc baseLat): ring 6.6 and 14.0 us,
/// tree 6.8 and 14.0 us.
std::vector<Protocol> nccl_protocols();
/// A NCCL level's LL and LL128 figures (tuning.cc hwLat and ncclTopoTuneModel's refinements). Ring:
/// NVLink step 0.6 and 1.9 us, network 2.7 and 4.0 us; bandwidth 0.5 and 0.92 of Simple's. Tree:
/// NVLink 0.6 and 1.25 us, network 5.0 and 8.5 us; bandwidth 1/3.8 and, for LL128, 7/9 inside a node,
/// 120/128 across nodes.
std::vector<ProtocolCost> nccl_nvlink_protocols();
std::vector<ProtocolCost> nccl_net_protocols();

}  // namespace presets

/// A level's preset and a one-line label naming it (printed by `clustersim comm`).
struct PresetChoice {
    LevelCost cost;
    std::string label;
    /// The level runs a library other than NCCL (HCCL, XLA): its cluster gets none of NCCL's protocols.
    bool other_library = false;
};

/// The published preset a topology level gets, by the level's name and plane kind (the rule is in
/// docs/models/comm.md, "Which preset a level gets"). Matching is case-sensitive; "token" means a
/// part of the name between '_', '-' or the ends.
///   1. name contains "nvlink": the generation follows the chip's scale-up bandwidth per direction,
///      `chip_scale_up_Bps` (0 or not finite: unknown): <= 300 GB/s NVLink 3, <= 450 GB/s NVLink 4,
///      <= 900 GB/s or unknown NVLink 5, above NVLink 6.
///   2. a token "hccs": hccs(). 3. a token "ici": tpu_ici().
///   4. name contains "ub", "dim" or "hrs": cloudmatrix_ub().
///   5. scale-out with a token "hdr" or "200g": hdr200_nccl(); other scale-out: ndr400_nccl().
///   6. otherwise none: line rate, no latency (LevelCost{}).
PresetChoice preset_for_level(const topo::LevelInfo& level, double chip_scale_up_Bps);

/// preset_for_level for every level of `t`, bottom first, with NCCL's launch latency
/// (presets::nccl_launch_latency) for every collective call.
CostModel preset_cost_model(const topo::Topology& t, double chip_scale_up_Bps);

}  // namespace clustersim::comm
