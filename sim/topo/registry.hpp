#pragma once
// Topology builders by name, each with a one-line description and an example configuration.
// Registration is explicit (register_builtin_builders), never by static constructors, and the
// registry is a value the caller owns: there is no global state.
#include <string>
#include <string_view>
#include <vector>

#include "topo/params.hpp"

namespace clustersim::topo {

struct BuilderEntry {
    std::string name;         ///< snake_case, e.g. "fat_tree"
    std::string description;  ///< one line
    TopologyParams example;   ///< a valid configuration of this builder (its params type)
};

class BuilderRegistry {
public:
    /// Throws TopologyError on an empty or duplicate name, or a description that is empty or not one line.
    void add(BuilderEntry entry);
    /// Throws UnknownBuilder, listing every registered name.
    [[nodiscard]] const BuilderEntry& at(std::string_view name) const;
    [[nodiscard]] const BuilderEntry* find(std::string_view name) const;
    [[nodiscard]] const std::vector<BuilderEntry>& entries() const { return entries_; }
    [[nodiscard]] std::vector<std::string> names() const;

private:
    std::vector<BuilderEntry> entries_;
};

/// Adds every builder of this layer: single_switch, ring, torus, full_mesh, ub_mesh, fat_tree,
/// dragonfly, scale_up_scale_out, supercluster, hierarchical.
void register_builtin_builders(BuilderRegistry& registry);

}  // namespace clustersim::topo
