#pragma once
// The collective cost model: a collective on every group of a placement at once, timed on the
// topology graph with contention, and an nccl-tests-style sweep over message sizes.
//
// Time of a collective = launch latency + sum over the algorithm's stages of
//   latency:   latency_steps x step(top level) + inner_latency_steps x step(bottom level),
//              step(level) = alpha(level) + hops(level) x (hop latency + link latency);
//   bandwidth: repeats x unit x bytes x max over links (load / effective bandwidth)
// with the loads of all groups' flows together (loads.hpp). The algorithm is the caller's, or the
// applicable one with the smallest predicted time (NCCL's tuner chooses the same way, from its own
// latency and bandwidth tables). docs/models/comm.md: formulas, sources, validation.
#include <cstdint>
#include <string>
#include <vector>

#include "comm/algorithms.hpp"
#include "comm/collective.hpp"
#include "comm/cost.hpp"
#include "comm/fabric.hpp"
#include "comm/loads.hpp"
#include "comm/placement.hpp"
#include "units/quantity.hpp"

namespace clustersim::comm {

enum class FlowMode : std::uint8_t {
    folded,          ///< symmetry-folded counts (any size; the default)
    explicit_flows,  ///< every flow routed on the graph (small instances; the reference)
};
enum class Sharing : std::uint8_t {
    bottleneck,    ///< a step takes the most loaded link's bytes over its bandwidth (the default)
    max_min_fair,  ///< max-min fair rates in a fluid simulation (explicit flows; small instances)
};
std::string_view to_string(FlowMode m);
std::string_view to_string(Sharing s);

struct RunOptions {
    std::string algorithm;  ///< empty: the applicable algorithm with the smallest predicted time
    FlowMode mode = FlowMode::folded;
    Sharing sharing = Sharing::bottleneck;  ///< max_min_fair implies explicit flows
    LoadOptions loads;
};

struct StageResult {
    std::string name;
    std::string pattern;       ///< describe(pattern)
    units::Seconds latency;    ///< all its steps
    units::Seconds bandwidth;  ///< all its repeats
    std::string bottleneck;    ///< link class label; empty when nothing crossed a link
    /// Bytes on the busiest directed link of the bottleneck class, over all repeats.
    units::Bytes bottleneck_bytes;
};

struct CollectiveResult {
    Collective kind = Collective::all_reduce;
    std::string algorithm;  ///< the chosen algorithm, "name/PROTOCOL" under a protocol other than the default
    std::int64_t ranks = 0;
    std::int64_t groups = 0;
    units::Bytes bytes;
    units::Seconds time;       ///< launch + every stage's latency and bandwidth time
    units::Seconds latency;    ///< the latency part (launch included)
    units::Seconds bandwidth;  ///< the bandwidth part
    units::BytesPerSecond algbw;  ///< bytes / time (nccl-tests); 0 when time is 0
    units::BytesPerSecond busbw;  ///< algbw x bus_factor(kind, ranks)
    /// The link class whose busiest link spends the longest transferring (at its effective
    /// bandwidth) summed over stages; empty when nothing crossed a link.
    std::string bottleneck;
    int bottleneck_class = -1;
    int bottleneck_level = -1;
    /// That link's bytes / (line rate x time): the fraction of the collective its busiest link is
    /// busy at line rate (at most the level's efficiency).
    double bottleneck_utilisation = 0;
    std::vector<StageResult> stages;
    /// Every applicable algorithm with its predicted time (the tuner's table), registry order.
    std::vector<std::pair<std::string, units::Seconds>> candidates;
};

/// An nccl-tests style sweep: sizes from `min` to `max`, each `factor` times the previous.
struct SweepSpec {
    units::Bytes min = units::Bytes(8);
    units::Bytes max = units::Bytes(double(std::int64_t{1} << 30));
    double factor = 2.0;
};

/// A collective benchmark on a cluster, as nccl-tests runs one: `kind` on groups of `group_size`
/// ranks (0: one group of every accelerator) laid out with `stride` (Placement::tiled), every group
/// at once, over the sizes of `sizes`; `algorithm` forces one (empty: the tuner's choice per size).
struct BenchmarkSpec {
    Collective kind = Collective::all_reduce;
    std::int64_t group_size = 0;
    std::int64_t stride = 1;
    SweepSpec sizes;
    std::string algorithm;
};

struct BenchmarkRow {
    units::Bytes bytes;
    std::string algorithm;
    units::Seconds time;
    units::BytesPerSecond algbw;
    units::BytesPerSecond busbw;
    std::string bottleneck;
    double bottleneck_utilisation = 0;
};

/// The cost of one collective kind on a placement as a function of its size. Under the bottleneck
/// model each applicable algorithm's time is affine in the size (latency + bytes x seconds per
/// byte: the loads scale with the bytes), so the tuner's choice at any size is the lower envelope
/// of these lines. Computed once per placement and kind; evaluating a size costs O(algorithms).
/// Used by models that cost many sizes on few placements (the training plan search).
struct CostCurve {
    struct Line {
        std::string algorithm;  ///< the algorithm, with "/PROTOCOL" under a protocol other than the default
        std::string base;       ///< the algorithm alone
        double latency_s = 0;         ///< launch + every stage's latency
        double seconds_per_byte = 0;  ///< the bandwidth part per byte of the collective's size
        std::string bottleneck;       ///< the limiting link class; empty when nothing crosses a link
    };
    std::vector<Line> lines;  ///< empty for groups of one rank (then a call costs launch_s)
    double launch_s = 0;

    /// The fastest line at `bytes`; nullptr when `lines` is empty. Ties go to the first line.
    [[nodiscard]] const Line* best(double bytes) const;
    /// The tuner's time at `bytes` (launch_s for groups of one rank).
    [[nodiscard]] double time_s(double bytes) const;
    /// The fastest line of `algorithm` (under any protocol) at `bytes` when it applies, else the
    /// fastest line (nullptr: no lines).
    [[nodiscard]] const Line* preferred(std::string_view algorithm, double bytes) const;
};

class CommModel {
public:
    /// Keeps a reference to `topology`, which must outlive the model. Throws CommError when
    /// `cost` is invalid.
    explicit CommModel(const topo::Topology& topology, CostModel cost = {},
                       AlgorithmRegistry algorithms = builtin_algorithms());

    [[nodiscard]] const Fabric& fabric() const { return fabric_; }
    [[nodiscard]] const AlgorithmRegistry& algorithms() const { return algorithms_; }

    /// Throws CommError (invalid placement or spec, too many explicit flows), UnknownAlgorithm,
    /// or NotApplicable (with the reason) for an algorithm asked for by name.
    [[nodiscard]] CollectiveResult run(const Placement& placement, const CollectiveSpec& spec,
                                       const RunOptions& options = {}) const;

    /// One row per size; each row's algorithm is chosen for its size unless options name one.
    /// The patterns' loads are computed once for all sizes.
    [[nodiscard]] std::vector<BenchmarkRow> benchmark(const Placement& placement, const CollectiveSpec& spec,
                                                      const SweepSpec& sweep, const RunOptions& options = {}) const;

    /// The cost curve of `kind` on `placement` (even all-to-all; broadcast from rank 0). The same
    /// times as run() at every size, with Sharing::bottleneck. Throws as run() does.
    [[nodiscard]] CostCurve curve(const Placement& placement, Collective kind, const RunOptions& options = {}) const;
    /// The curves of several kinds on one placement, in the order given; the link loads of patterns
    /// the kinds share (a ring all-reduce's reduce-scatter and all-gather halves) are computed once.
    [[nodiscard]] std::vector<CostCurve> curves(const Placement& placement, const std::vector<Collective>& kinds,
                                                const RunOptions& options = {}) const;

private:
    Fabric fabric_;
    AlgorithmRegistry algorithms_;
};

}  // namespace clustersim::comm
