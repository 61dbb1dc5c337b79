#pragma once
// Serving throughput and latency of a prefill or decode instance, and of a cluster serving a model.
//
// A step of one rank is its kernels (chip operation costs, layer by layer) plus the exposed
// expert-parallel all-to-all (dispatch and combine) and tensor-parallel all-reduces, each costed on
// the topology graph with every group of the instance at once (train::TrainingCluster). Decode:
// time per output token = step / tokens per step (speculation); prefill: time to first token = the
// batch's step (+ the KV cache transfer when disaggregated). The batch is given or searched: the
// best tokens/s per chip whose latency meets the limit and whose weights, KV cache and activations
// fit in HBM. Equations, assumptions and sources: docs/models/serving.md.
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "serve/kernels.hpp"
#include "serve/spec.hpp"
#include "train/step.hpp"
#include "train/validation.hpp"

namespace clustersim::serve {

/// What a step's time is mostly spent on.
enum class Resource : std::uint8_t { compute, hbm_bandwidth, network, kernel_overhead };
/// What stopped the batch from growing.
enum class BatchLimit : std::uint8_t {
    given,            ///< the plan fixed it
    hbm_capacity,     ///< the next batch does not fit in HBM
    latency,          ///< the next batches that fit miss the latency limit
    search_limit,     ///< the search's largest batch (max_search_batch) was reached
    throughput_peak,  ///< larger batches fit and meet the limit but deliver less
};
std::string_view to_string(Resource r);
std::string_view to_string(BatchLimit b);
std::string_view to_string(Phase p);

/// Largest batch per rank the search tries (sequences).
inline constexpr std::int64_t max_search_batch = 4096;

/// Where the time of one step of one rank goes (seconds). kernels_s + exposed comm = step_s.
struct StepTime {
    double kernels_s = 0;     ///< every kernel, one after another (draft model included)
    double compute_s = 0;     ///< of kernels_s: in compute-bound kernels, their overhead excluded
    double memory_s = 0;      ///< of kernels_s: in memory-bound kernels, their overhead excluded
    double overhead_s = 0;    ///< of kernels_s: kernel launch and synchronisation
    double draft_s = 0;       ///< the draft (multi-token prediction) module: its kernels (in kernels_s) and communication (in the comm terms)
    double ep_comm_s = 0;     ///< exposed expert dispatch and combine
    double tp_comm_s = 0;     ///< exposed tensor-parallel all-reduces
    double step_s = 0;
};

/// HBM one rank holds (bytes).
struct ServingMemory {
    double weights = 0;
    double kv_cache = 0;     ///< the batch's sequences at their full length (prompt + output)
    double activations = 0;  ///< the largest kernel working set
    [[nodiscard]] double total() const { return weights + kv_cache + activations; }
};

/// One instance (prefill or decode) at one batch.
struct PhaseResult {
    Phase phase = Phase::decode;
    ServingPlan plan;  ///< batch set (given or searched)
    StepTime time;
    ServingMemory memory;
    double usable_hbm_bytes = 0;  ///< per rank, reserve taken off
    std::int64_t max_batch = 0;   ///< the largest batch per rank that fits in HBM (up to max_search_batch)
    /// Prefill: prompt tokens/s per chip; decode: output tokens/s per chip.
    double tokens_per_s_per_chip = 0;
    /// Prefill: the batch's time to first token (KV transfer excluded); decode: time per output token.
    double latency_s = 0;
    bool overlapped = false;  ///< ran as two micro-batches, communication under computation (ServingExecution::overlap_comm)
    Resource limiting_resource = Resource::compute;
    BatchLimit batch_limit = BatchLimit::given;
    std::string ep_algorithm, ep_bottleneck;  ///< empty when there is no expert all-to-all
    std::string tp_algorithm, tp_bottleneck;  ///< empty when tp = 1
};

/// A cluster serving requests of prompt_tokens in and output_tokens out.
struct ServingResult {
    PhaseResult prefill;
    PhaseResult decode;
    double kv_transfer_s = 0;  ///< one prefill rank's batch of KV cache to the decode instance (0: colocated)
    double ttft_s = 0;         ///< prefill latency + KV transfer
    double tpot_s = 0;
    /// Chip-seconds per request are prompt / prefill rate + output / decode rate; the cluster's
    /// chips split between prefill and decode in that ratio (prefill_chip_share) serve
    /// chips / (chip-seconds per request) requests per second.
    double prefill_chip_share = 0;
    double requests_per_s = 0;
    double output_tokens_per_s = 0;  ///< the whole cluster
    double output_tokens_per_s_per_chip = 0;
};

/// The chip model of one rank when a chip runs `ranks_per_chip` ranks (its dies): peaks, HBM
/// bandwidth and compute units divided evenly; efficiencies and overheads unchanged.
chip::ChipModel rank_chip(const chip::ChipModel& chip, std::int64_t ranks_per_chip);

/// KV cache bytes per token per rank of the served model: the workload's layers (kv_bytes_per_token)
/// and, with speculation, the multi-token-prediction module's layer, which keeps its own.
double served_kv_bytes_per_token(const ServingSpec& spec, std::int64_t tp);
/// What one rank holds at the plan's batch: the weights it reads (the larger set where shared-expert
/// ranks differ from routed ones; the draft module's layer), the KV cache of every sequence at its
/// full length, and the largest kernel working set of the whole batch (two micro-batches in flight
/// hold both halves).
ServingMemory rank_memory(const ServingSpec& spec, Phase phase, const ServingPlan& plan);

/// One micro-batch's MoE layer, as the two-batch overlap pairs its stages (seconds).
struct MoeLayerStages {
    double before_dispatch_s = 0;  ///< kernels up to the dispatch (attention block, router, quantisation, permute)
    double after_dispatch_s = 0;   ///< kernels after it (expert products, combine, shared experts)
    double dispatch_s = 0;         ///< the exchanges after the first part (the dispatch; a tensor-parallel all-reduce)
    double combine_s = 0;          ///< and after the second (the combine; the other all-reduce)
};
/// The communication two micro-batches a and b leave exposed in one MoE layer under two-batch overlap, as DeepSeek's
/// and SGLang's runtimes schedule it: each exchange under the other micro-batch's next stage, a stage ending when
/// both have (the next kernels need the exchange's rows): (b before | a's dispatch), (a after | b's dispatch),
/// (b after | a's combine), (a's next layer before | b's combine); each pair exposes train::exposed(comm, kernels,
/// share). At least the whole layer's train::exposed(C, W, share), equal when every stage's kernels outlast its
/// exchange by the share.
double two_batch_exposed(const MoeLayerStages& a, const MoeLayerStages& b, double share);
/// HBM per rank left for it: the chip's over its ranks, less the execution's reserve.
double usable_hbm_bytes(const ServingSpec& spec, const ServingPlan& plan, const train::TrainingCluster& cluster);

/// Everything that makes `plan` impossible for `phase` (memory excepted; empty: valid).
std::vector<train::Rejection> plan_problems(const ServingSpec& spec, Phase phase, const ServingPlan& plan,
                                            const train::TrainingCluster& cluster);

/// One instance at the plan's batch (>= 1); a Rejection when the plan is invalid. A batch that does
/// not fit in HBM is timed and reported (memory.total() > usable_hbm_bytes), not rejected.
std::variant<PhaseResult, train::Rejection> evaluate(const ServingSpec& spec, Phase phase, const ServingPlan& plan,
                                                     const train::TrainingCluster& cluster);

/// The plan's batch, or with batch 0 the batch of the most tokens/s per chip that fits in HBM and
/// meets the phase's latency limit (TTFT for prefill, TPOT for decode); a Rejection when none does.
std::variant<PhaseResult, train::Rejection> best(const ServingSpec& spec, Phase phase, const ServingPlan& plan,
                                                 const train::TrainingCluster& cluster);

/// Both phases (spec.prefill and spec.decode) and the cluster's throughput on `cluster` (its chips
/// are the cluster's). A Rejection names the phase that cannot run.
std::variant<ServingResult, train::Rejection> serve(const ServingSpec& spec, const train::TrainingCluster& cluster);

/// The kernels behind a phase's step (`phase` as evaluate, best or serve returned it: its plan, batch and
/// schedule): each layer kind's kernels per micro-batch (part layer or moe_layer; pass whole_batch, or micro_batch_1
/// and micro_batch_2 under two-batch overlap), run once per layer of the kind, the embedding's and head's once, and
/// with speculation the draft module's layer, embedding and head once per draft token (pass draft). Their step_s sum
/// to the phase's time.kernels_s (docs/models/serving.md, "Kernel breakdown").
std::vector<train::KernelRow> phase_kernels(const ServingSpec& spec, const PhaseResult& phase, const train::TrainingCluster& cluster);

/// The model's value of a serving measurement's metric (train::is_serving(m.metric)), SI units.
double predict(const train::Measurement& m, const ServingResult& r);

}  // namespace clustersim::serve
