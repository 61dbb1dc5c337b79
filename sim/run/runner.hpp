#pragma once
// Evaluates a validated scenario: one result per case, as values, in case order.
#include <cstddef>
#include <functional>
#include <memory>
#include <variant>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "aggregate/aggregates.hpp"
#include "scenario/scenario.hpp"
#include "economics/model.hpp"
#include "economics/wafer.hpp"
#include "reliability/model.hpp"
#include "serve/model.hpp"
#include "train/search.hpp"
#include "train/step.hpp"

namespace clustersim::run {

/// A case's training job: the given plan's step, or the best plan the search found.
struct TrainingOutcome {
    std::string workload;
    std::int64_t global_batch = 0;  ///< sequences
    std::int64_t seq_len = 0;       ///< tokens
    std::string precision;
    train::Execution execution;             ///< how the job runs beyond the plan (the scenario's switches)
    bool searched = false;                  ///< no plan was given
    std::optional<train::StepResult> step;  ///< empty when no plan runs (see problem)
    std::string problem;                    ///< why no plan runs, or why the given plan is suspect (memory)
    std::int64_t plans_evaluated = 0;       ///< search only
    std::int64_t plans_feasible = 0;
    std::map<std::string, train::SearchResult::Rejections> rejected;
    std::vector<train::StepResult> runners_up;  ///< the next best plans of a search, fastest first
    /// Validation cases: the measurement and the model's value of the same figure (SI units).
    std::optional<train::Measurement> measured;
    std::optional<double> predicted;
};

/// A case's serving job: both instances at their given or searched batch, and the cluster's
/// throughput; or why it cannot run.
struct ServingOutcome {
    serve::ServingSpec spec;  ///< as the scenario gives it (batch 0: searched)
    std::optional<serve::ServingResult> result;
    std::string problem;  ///< why it cannot run
    std::optional<train::Measurement> measured;
    std::optional<double> predicted;
};

/// A case's training job under failures: interruptions, checkpoints and goodput (when the
/// training job has a step).
struct ReliabilityOutcome {
    std::string profile;
    reliability::Parts parts;
    bool racks_known = true;        ///< false: no accelerators per rack nor system cabinets; rack events not counted
    double spare_accelerators = 0;  ///< hot spares beyond the job's chips: ceil(chips / domain) x per domain
    double checkpoint_bytes = 0;
    reliability::Outcome outcome;
    double goodput_tokens_per_s = 0;  ///< the step's tokens/s x the useful fraction
    std::string note;                 ///< what the outcome leaves out that the profile has (rack events without racks)
};

/// A case's power, capital and operating cost, and energy and cost per delivered token (training
/// step and serving output), under the case's economics assumptions.
struct EconomicsOutcome {
    economics::Assumptions assumptions;
    economics::Outcome outcome;
    /// With `silicon`: the chip's package cost from the wafer model, and the wafers its compute dies
    /// take (chips x dies per package / good dies per wafer); unknown when an input is.
    std::optional<economics::PackageCost> package;
    std::optional<double> wafers_needed;
};

struct CaseResult {
    std::string scenario;
    std::string name;
    std::string base_case;  ///< the case as written (name without its sweep point)
    std::string series;     ///< scenario::series_text: the curve against chip count the row is on
    std::string baseline;  ///< empty when the case has none
    std::optional<std::size_t> baseline_index;  ///< into the same RunResult's cases
    std::string system_id;
    std::string chip_id;
    std::string topology;  ///< the topology builder, or empty
    std::optional<double> cabinets;  ///< floor space: catalog::Cluster::cabinets
    aggregate::Aggregates aggregates;
    std::optional<TrainingOutcome> training;
    std::optional<ServingOutcome> serving;
    std::optional<ReliabilityOutcome> reliability;
    std::optional<EconomicsOutcome> economics;
};

/// What a case delivers: the training step's tokens/s, the serving cluster's output tokens/s;
/// unknown when the case has no such job or it cannot run.
std::optional<double> training_tokens_per_s(const CaseResult& r);
std::optional<double> serving_output_tokens_per_s(const CaseResult& r);
/// The training job's goodput (tokens/s x useful fraction); unknown without a reliability section or a step.
std::optional<double> goodput_tokens_per_s(const CaseResult& r);

struct RunResult {
    std::string scenario;
    std::vector<CaseResult> cases;
};

/// The training model's view of `chips` chips of `chip` on `network` (its first chips accelerators),
/// with the published collective cost presets for the network's levels (comm::preset_cost_model) and
/// `host_bytes` of host memory per chip where the system states it; an error text when the chip lacks a
/// figure the model needs.
std::variant<std::unique_ptr<train::TrainingCluster>, std::string> make_training_cluster(
    const catalog::ChipSpec& chip, std::int64_t chips, std::shared_ptr<const topo::Topology> network,
    std::optional<double> host_bytes = std::nullopt);
/// Host memory per chip of `cluster` (empty: its system does not state it).
std::optional<double> host_bytes_per_chip(const catalog::Cluster& cluster);

/// What the cases of a scenario share, built before they run: every distinct network built and
/// analysed once for the whole run, every training cluster (job network, chip, chip count) built
/// once for the cases prepared together, so that they share its collective cost curves.
/// prepare() the cases (a chunk of a stream, or all of them), then evaluate() them: evaluate is
/// const and safe to call from many threads; prepare is not.
class Evaluator {
public:
    explicit Evaluator(const scenario::Scenario& scenario);
    /// Builds what `cases` need and drops the training clusters they do not (a sweep over chip
    /// figures has one per row).
    void prepare(const std::vector<std::size_t>& cases);
    ~Evaluator();
    Evaluator(const Evaluator&) = delete;
    Evaluator& operator=(const Evaluator&) = delete;

    /// Case i of the scenario (one of the cases last prepared); baseline_index unset.
    [[nodiscard]] CaseResult evaluate(std::size_t i) const;
    /// The kernel breakdown of case i's training job under `plan` (the step evaluate() found: a given or searched
    /// plan); an error text when the case has no training job or its cluster cannot be built, or the plan is invalid.
    [[nodiscard]] std::variant<train::KernelBreakdown, std::string> kernels(std::size_t i, const train::Plan& plan) const;
    /// The kernels of one phase of case i's serving job (`phase`: its result as evaluate() found it); an error text
    /// when the case has no serving job or its cluster cannot be built.
    [[nodiscard]] std::variant<std::vector<train::KernelRow>, std::string> kernels(std::size_t i, const serve::PhaseResult& phase) const;

private:
    struct Shared;
    const scenario::Scenario& scenario_;
    std::unique_ptr<Shared> shared_;
};

/// The index of each case's baseline case, in case order (empty when it has none).
std::vector<std::optional<std::size_t>> baseline_indices(const scenario::Scenario& scenario);

/// Cases are evaluated in parallel (TBB); the result order is the scenario's case order,
/// so output is the same whatever the thread count.
RunResult run_scenario(const scenario::Scenario& scenario);

/// What stream_scenario calls. `row` gets each case of the range in case order, with its
/// baseline's result (null when it has none); it returns false to stop after that row. `chunk_done`
/// is called after each chunk's rows (a place to flush them). `case_done` is called from worker
/// threads as each case finishes, in any order (for progress; keep it cheap and thread-safe).
struct StreamHooks {
    std::function<bool(std::size_t index, CaseResult& result, const CaseResult* baseline)> row;
    std::function<void()> chunk_done;
    std::function<void()> case_done;
};

/// Cases [begin, end) of a scenario, evaluated in parallel in chunks and handed to hooks.row in
/// case order, so that a sweep streams and gives the same rows whatever the thread count. A chunk's
/// baselines are evaluated before it (or come from an earlier chunk) and kept, without the search's
/// runners-up, until the last row that compares with them: memory grows with the baselines in use
/// at once (in a file sweep with a file-level baseline, one per sweep point until the other cases'
/// rows reach it), not with the rows. Returns the number of rows handed over.
std::size_t stream_scenario(const scenario::Scenario& scenario, std::size_t begin, std::size_t end,
                            const StreamHooks& hooks);

}  // namespace clustersim::run
