#pragma once
// The best plan for a training job on a cluster: every valid combination of tensor, pipeline,
// data, context and expert parallelism, virtual stages, micro-batch, recomputation and optimizer
// sharding, evaluated in parallel (TBB) with a deterministic answer.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "train/step.hpp"

namespace clustersim::train {

/// The values tried for each choice. default_space() derives them from the job and the cluster.
struct SearchSpace {
    std::vector<std::int64_t> tp, pp, cp, ep, virtual_stages, micro_batch;
    std::vector<Recomputation> recompute;
    std::vector<Optimizer> optimizer;
    /// Full recomputation limited to the fewest layers per model chunk that fit in HBM
    /// (fewest_recomputed_layers): each feasible full-recompute plan is replaced by that plan.
    bool partial_recompute = true;
    /// Activation offloading of the fewest layers that fit (fewest_offloaded_layers): each plan that does not fit
    /// in HBM and can offload (pp 1, recompute none, a chip with a host link, a system with host memory) is
    /// replaced by that plan.
    bool offload = true;
};

/// tp: powers of two up to the scale-up domain (tensor parallelism stays inside it); pp: divisors
/// of the layer count and powers of two (stages then differ by a layer; interleaving only with equal
/// chunks); cp: 1, and powers of two keeping at least 4,096 tokens per rank; ep: 1, and
/// powers of two dividing the expert count; virtual stages 1, 2, 4, 8; micro-batch 1, 2, 4, 8;
/// every recomputation mode (full recomputation of the fewest layers that fit) and optimizer sharding;
/// activation offloading of the fewest layers that fit, where a plan does not fit without it.
/// Sequence parallelism is on whenever tp > 1 (it only saves memory and never adds communication volume).
SearchSpace default_space(const TrainingSpec& spec, const TrainingCluster& cluster);

/// Every plan of `space` whose degrees multiply to the cluster's chips, in a fixed order.
std::vector<Plan> enumerate_plans(const SearchSpace& space, const TrainingSpec& spec, const TrainingCluster& cluster);

struct SearchResult {
    std::vector<StepResult> best;  ///< fastest first (ties: enumeration order), at most `keep`
    std::int64_t evaluated = 0;    ///< plans enumerated
    std::int64_t feasible = 0;     ///< plans that run
    std::int64_t exact_evaluations = 0;  ///< plans costed on the graph (the others were bounded out)
    /// Rejected plans per category, with the first plan's reason as an example.
    struct Rejections {
        std::int64_t count = 0;
        std::string example;
    };
    std::map<std::string, Rejections> rejected;
};

/// Every plan is first evaluated with lower-bound collective costs (Fidelity::lower_bound; a feasible
/// full-recompute plan then recomputes the fewest layers that fit, when space.partial_recompute, and a plan
/// that does not fit offloads the fewest layers' activations that make it fit, when space.offload); plans are
/// then costed exactly in order of their bound until no remaining bound can beat the keep-th best
/// (branch and bound: the answer is the exhaustive search's). Deterministic whatever the thread
/// count: ranked by (exact step time, enumeration index).
SearchResult search(const TrainingSpec& spec, const TrainingCluster& cluster, const SearchSpace& space,
                    std::size_t keep = 5);

}  // namespace clustersim::train
