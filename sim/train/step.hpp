#pragma once
// The time of one training step of a plan on a cluster, with its breakdown.
//
// step = pipeline (micro-batches x the slowest stage's per-micro-batch time, plus the fill and
// drain bubble) + exposed data-parallel communication + optimizer. A stage's per-micro-batch time
// is its kernels (chip operation costs: forward, backward, recomputation) plus the exposed
// tensor-, context- and expert-parallel collectives and the pipeline sends. Every collective is
// costed on the topology graph with all its groups at once (comm::CommModel). Overlap rules and
// sources: docs/models/training.md, "Step time".
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <variant>
#include <vector>

#include "chip/chip_model.hpp"
#include "comm/model.hpp"
#include "topo/topology.hpp"
#include "train/accounting.hpp"
#include "train/plan.hpp"

namespace clustersim::train {

/// A cluster as the training model sees it: one chip model, its HBM, the network and the
/// collective cost model on it. Collective cost curves are computed once per (collective,
/// placement) and shared by every plan evaluated on this cluster (thread-safe; the curves are
/// pure functions of their key, so results do not depend on which thread computed them).
class TrainingCluster {
public:
    /// `topology` must hold at least `chips` accelerators; ranks use accelerators 0..chips-1.
    /// `host_bytes`: host (CPU) memory per chip, where the system states it (activation offloading's room).
    TrainingCluster(chip::ChipModel chip, double hbm_bytes, std::int64_t chips,
                    std::shared_ptr<const topo::Topology> topology, comm::CostModel cost,
                    std::optional<double> host_bytes = std::nullopt);

    [[nodiscard]] const chip::ChipModel& chip() const { return chip_; }
    [[nodiscard]] double hbm_bytes() const { return hbm_bytes_; }
    [[nodiscard]] std::optional<double> host_bytes() const { return host_bytes_; }
    [[nodiscard]] std::int64_t chips() const { return chips_; }
    [[nodiscard]] const topo::Topology& topology() const { return *topology_; }
    /// Accelerators per instance of the lowest topology level (the scale-up domain).
    [[nodiscard]] std::int64_t scale_up_domain() const { return domain_; }
    /// Fraction of the chip's compute units the collective library holds while a collective runs
    /// (the largest over the network's levels; comm::LevelCost::compute_units_busy): overlapped
    /// computation runs that much slower (docs/models/training.md, "Overlap"). The step time uses
    /// the per-placement form below.
    [[nodiscard]] double comm_compute_share() const { return comm_share_; }
    /// The same for the collectives of one placement: the scale-up level's share when every group
    /// lies inside one scale-up domain (its collectives use no other level), else the largest.
    [[nodiscard]] double comm_compute_share(const comm::Placement& placement) const;
    /// The same for expert dispatch and combine over `placement` with the expert-dispatch library of
    /// the levels it uses (the scale-up level within one domain, else every level;
    /// comm::OneSidedLibrary): its low-latency kernels or its normal ones; a level without one counts
    /// its collective library's share.
    enum class DispatchKernels { low_latency, normal };
    [[nodiscard]] double dispatch_compute_share(const comm::Placement& placement, DispatchKernels kernels) const;
    /// Every group of `placement` inside one scale-up domain: its collectives use the lowest level only.
    [[nodiscard]] bool within_scale_up(const comm::Placement& placement) const;

    /// Every group of `placement` running `kind` of `bytes` at once: the tuner's time, and the
    /// limiting link class.
    struct Cost {
        double time_s = 0;
        std::string algorithm;
        std::string bottleneck;
    };
    /// `prefer`: an algorithm to use where it applies instead of the tuner's choice (expert dispatch
    /// uses the one-sided library where a level has one: "one_sided").
    [[nodiscard]] Cost collective(comm::Collective kind, const comm::Placement& placement, double bytes,
                                  std::string_view prefer = {}) const;
    /// A lower bound of collective() that needs no graph work: launch latency plus the bytes each
    /// rank must at least send, over its links' total line rate.
    [[nodiscard]] Cost collective_bound(comm::Collective kind, const comm::Placement& placement, double bytes) const;

private:
    chip::ChipModel chip_;
    double hbm_bytes_ = 0;
    std::optional<double> host_bytes_;
    std::int64_t chips_ = 0;
    std::int64_t domain_ = 1;
    double injection_Bps_ = 0;  ///< the largest total line rate out of one accelerator
    double launch_s_ = 0;
    double comm_share_ = 0;
    double domain_share_ = 0;  ///< the scale-up level's
    std::shared_ptr<const topo::Topology> topology_;
    comm::CommModel comm_;
    // Reductions (all-reduce, reduce-scatter, all-gather) share one entry: their curves are computed
    // together, sharing the loads of their common patterns.
    using Key = std::tuple<int, std::int64_t, std::int64_t, std::int64_t>;  // family, p, stride, groups
    struct Entry {
        std::once_flag once;
        std::vector<comm::Collective> kinds;
        std::vector<comm::CostCurve> curves;
    };
    mutable std::mutex mutex_;
    mutable std::map<Key, std::shared_ptr<Entry>> curves_;
};

/// DeepEP's normal mode across scale-up domains (DeepSeek-V3 report §3.2.2): a token crosses the scale-out
/// network once per distinct remote domain among its k experts' and is forwarded inside each domain to
/// its experts. With E experts spread evenly over D domains and k distinct experts per token, a domain
/// holds none of them with probability q = C(E − E/D, k) / C(E, k), so a token reaches D (1 − q) domains,
/// its own among them. Group-limited routing (G groups, g per token) narrows it: with whole groups per
/// domain (D divides G) q = C(G − G/D, g) / C(G, g), each chosen group taken to receive at least one of
/// the k experts; with groups spanning D/G domains each, the k experts spread over the g chosen groups'
/// g·E/G experts in g·D/G domains. The sizes of the two all-to-alls, for `token_bytes` (a rank's tokens ×
/// hidden × bytes per element): `across` over the D domains by rail (a rank's share to itself counted, as
/// an all-to-all's size does: hence D (1 − q), not (D − 1)(1 − q)), then `inside` each domain.
struct HierarchicalDispatch {
    double across_bytes = 0;
    double inside_bytes = 0;
};
HierarchicalDispatch hierarchical_dispatch(double token_bytes, const catalog::MoeSpec& moe, std::int64_t domains);

/// Communication C overlapped with computation W: while both run, the computation has only the compute
/// units the collective library leaves it (share f held by the library, TrainingCluster::comm_compute_share),
/// so the pair takes max(C, W + f C) and the time exposed beyond W is max(C - W, f C); f = 0 gives
/// max(0, C - W) (docs/models/training.md, "Overlap"; serving's two-batch overlap uses the same rule).
double exposed(double comm_s, double compute_s, double share);

/// Where the time of a step goes (seconds). Sums to step_s.
struct StepBreakdown {
    double compute_s = 0;       ///< kernels of the m micro-batches on the slowest stage (recomputation included)
    double recompute_s = 0;     ///< of which recomputation
    double tp_comm_s = 0;       ///< exposed tensor-parallel collectives
    double cp_comm_s = 0;       ///< exposed context-parallel exchange (beyond the attention it overlaps)
    double ep_comm_s = 0;       ///< expert-parallel all-to-all (dispatch and combine)
    double pp_comm_s = 0;       ///< pipeline sends
    double bubble_s = 0;        ///< pipeline fill and drain
    double offload_s = 0;       ///< exposed activation offloading copies (Plan::offload_layers)
    double dp_comm_s = 0;       ///< exposed data-parallel gradient reduction and parameter gathering
    double optimizer_s = 0;     ///< the optimizer step
    double step_s = 0;
};

/// Per collective family: the algorithm and bottleneck that decided its cost (empty when none ran).
struct CommChoice {
    std::string algorithm;
    std::string bottleneck;
    double time_s = 0;  ///< one call (not the exposed total; a split pipeline send's gather is not in it)
};

struct StepResult {
    Plan plan;
    bool fits = true;  ///< memory.total() fits in HBM less the reserve (and memory.offloaded in host memory less it)
    std::int64_t micro_batches = 0;
    StepBreakdown time;
    Memory memory;
    double tokens_per_s = 0;
    double model_flops = 0;     ///< per step, FlopConvention::exact_model
    double hardware_flops = 0;  ///< per step, with recomputation
    double mfu = 0;             ///< model FLOPs / (step x chips x dense peak of the precision)
    double hfu = 0;
    CommChoice tp, cp, ep, pp, dp;
    std::int64_t slowest_rank = 0;  ///< the pipeline rank whose per-micro-batch time sets the pace (0 without pp)
};

/// Why a plan cannot run: a short reason ("does not fit in HBM: 93.1 GiB of 72 GiB usable") and a
/// category for counting rejections ("memory", "batch", "shape", ...).
struct Rejection {
    std::string category;
    std::string reason;
};

/// Why memory `m` does not fit `cluster` under `spec`'s reserve (empty: it fits): "needs 93.1 GiB per chip, 72.0 GiB
/// usable of 80.0 GiB HBM", or "offloads 156.0 GiB per chip to host memory, 108.0 GiB usable of 120.0 GiB".
std::string memory_shortfall(const Memory& m, const TrainingSpec& spec, const TrainingCluster& cluster);

/// Everything wrong with `plan` for `spec` on `cluster` that makes it impossible to run, memory
/// excepted (empty: the plan is valid).
std::vector<Rejection> plan_problems(const TrainingSpec& spec, const Plan& plan, const TrainingCluster& cluster);

/// HBM a plan may fill: the chip's HBM less the execution's memory reserve (bytes).
double usable_hbm_bytes(const TrainingSpec& spec, const TrainingCluster& cluster);

/// `plan` with full recomputation limited to the fewest layers per model chunk that fit in HBM
/// (Plan::recompute_layers, Megatron-LM's block method): the fastest plan of that family, since the
/// step time grows with every recomputed layer and the memory falls. `plan` unchanged when it does
/// not recompute in full, already sets recompute_layers, is invalid (plan_problems), or only full
/// recomputation fits (or nothing does).
Plan fewest_recomputed_layers(const TrainingSpec& spec, const Plan& plan, const TrainingCluster& cluster);

/// `plan` offloading the activations of the fewest layers that fit it in HBM (Plan::offload_layers, Megatron-Core's
/// cpu_offloading_num_layers): the fastest offloading plan, since each offloaded layer only adds copies. `plan`
/// unchanged when it fits already, offloads already, cannot offload (offload_problem: pp 1, recompute none, a chip
/// with a host link), is otherwise invalid, or when no count below the layers fits it in HBM and host memory.
Plan fewest_offloaded_layers(const TrainingSpec& spec, const Plan& plan, const TrainingCluster& cluster);

/// exact: collectives costed on the graph. lower_bound: with collective_bound, so that the step
/// time is a lower bound of the exact one (every term is non-decreasing in every collective's time).
enum class Fidelity : std::uint8_t { exact, lower_bound };

/// The step of `plan`; a Rejection when it is invalid, or when it does not fit in memory and
/// `require_fit` (with require_fit false such a plan is timed and marked fits = false: a plan a
/// source ran that the memory model says cannot run is a finding, not a reason to stop).
std::variant<StepResult, Rejection> evaluate(const TrainingSpec& spec, const Plan& plan, const TrainingCluster& cluster,
                                             bool require_fit = true, Fidelity fidelity = Fidelity::exact);

/// One kernel of the slowest pipeline rank, as the step model costs it: what compute_s is made of.
struct KernelRow {
    /// The model part it belongs to: training's layer, moe_layer, layer_no_recompute, moe_layer_no_recompute,
    /// embedding, head, mtp, mtp_layer; serving's layer, moe_layer, embedding, head (serve::phase_kernels).
    std::string_view part;
    /// Training: forward, recompute (re-run in the backward pass) or backward; serving: whole_batch,
    /// micro_batch_1, micro_batch_2 or draft.
    std::string_view pass;
    std::size_t index = 0;  ///< position in its part's kernel list for that pass
    chip::Operation op;
    chip::OpCost cost;          ///< one call
    double calls_per_step = 0;  ///< micro-batches x how often the rank runs the part per micro-batch
    [[nodiscard]] double step_s() const { return calls_per_step * cost.time_s; }
};

/// The kernels behind a plan's step: every kernel the slowest pipeline rank runs (its stages' parts, forward,
/// recomputed and backward), each costed once and counted per step. Their step_s sum to the step's compute_s, and
/// the recompute rows' to its recompute_s; collectives, bubble, offload copies and the optimizer are the step's
/// other terms (docs/models/training.md, "Kernel breakdown").
struct KernelBreakdown {
    StepResult step;
    std::vector<KernelRow> rows;
};

/// The kernel breakdown of `plan` (timed whether or not it fits in memory, as a given plan is); a Rejection when
/// the plan is invalid.
std::variant<KernelBreakdown, Rejection> kernel_breakdown(const TrainingSpec& spec, const Plan& plan,
                                                          const TrainingCluster& cluster);

}  // namespace clustersim::train
