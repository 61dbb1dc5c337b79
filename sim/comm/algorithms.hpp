#pragma once
// Collective algorithms by name, each with a one-line description. An algorithm turns a
// collective on a group shape into a Schedule (stages of patterns), or says why it does not apply.
// Registration is explicit (register_builtin_algorithms) and the registry is a value the caller
// owns: there is no global state. Time formulas and sources: docs/models/comm.md.
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "comm/collective.hpp"
#include "comm/cost.hpp"
#include "comm/fabric.hpp"
#include "comm/group_shape.hpp"
#include "comm/pattern.hpp"
#include "comm/placement.hpp"

namespace clustersim::comm {

struct AlgorithmContext {
    const Fabric& fabric;
    const Placement& placement;
    const GroupShape& shape;
    const CollectiveSpec& spec;
};

/// A schedule, or the reason the algorithm does not apply (schedule empty then).
struct BuildResult {
    std::optional<Schedule> schedule;
    std::string reason;
};

struct AlgorithmEntry {
    std::string name;         ///< snake_case, e.g. "ring"
    std::string description;  ///< one line
    std::vector<Collective> collectives;
    std::function<BuildResult(const AlgorithmContext&)> build;
    /// Runs under the cost model's other protocols too, with the figures of this kernel family (NCCL's
    /// LL and LL128 for its ring and tree kernels), which the tuner weighs with the default one; empty:
    /// the default protocol only.
    std::optional<KernelFamily> protocols;

    [[nodiscard]] bool supports(Collective c) const;
};

class AlgorithmRegistry {
public:
    /// Throws CommError on an empty or duplicate name, a description that is empty or not one
    /// line, no collectives or no build function.
    void add(AlgorithmEntry entry);
    /// Throws UnknownAlgorithm, listing every registered name.
    [[nodiscard]] const AlgorithmEntry& at(std::string_view name) const;
    [[nodiscard]] const AlgorithmEntry* find(std::string_view name) const;
    [[nodiscard]] const std::vector<AlgorithmEntry>& entries() const { return entries_; }
    [[nodiscard]] std::vector<std::string> names() const;
    /// The algorithms that run at least one of `collectives`, in registry order.
    [[nodiscard]] std::vector<std::string> names_for(const std::vector<Collective>& collectives) const;

private:
    std::vector<AlgorithmEntry> entries_;
};

/// Adds ring, double_binary_tree, recursive_halving_doubling, direct, hierarchical,
/// dimension_wise, in_network, chain and binary_tree.
void register_builtin_algorithms(AlgorithmRegistry& registry);

/// A registry holding the built-in algorithms.
AlgorithmRegistry builtin_algorithms();

}  // namespace clustersim::comm
