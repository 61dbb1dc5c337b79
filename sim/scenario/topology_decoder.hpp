#pragma once
// Decodes a `topology:` mapping (system files and scenario cases) into topology builder params.
// YAML keys are the params structs' field names (sim/topo/params.hpp, networks.hpp, link.hpp),
// so every problem topo::validate() reports is shown at the file:line:col of its key.
// Format: docs/scenario-format.md#topology.
#include <optional>
#include <set>
#include <string>

#include "scenario/yaml_reader.hpp"
#include "catalog/catalog.hpp"
#include "catalog/topology_spec.hpp"
#include "topo/params.hpp"
#include "topo/registry.hpp"

namespace clustersim::scenario {

/// The network parts a topology's `parts:` mapping may name: the catalog's switches and
/// transceivers (models/network/), and the ids of part files that failed to load (their own
/// problems are reported; naming them is not a second error).
struct NetworkPartNames {
    const catalog::Catalog* catalog = nullptr;
    std::set<std::string, std::less<>> unloaded;
};

/// Decodes and validates; records every problem and returns nullopt when there is any.
/// A `parts:` mapping (switch tier name -> switch id, `transceiver` -> transceiver id) is resolved
/// against `parts`; without `parts` it is an error.
std::optional<catalog::TopologySpec> decode_topology(const Source& src, const YAML::Node& node, const std::string& path,
                                               const topo::BuilderRegistry& registry,
                                               const NetworkPartNames* parts = nullptr);

/// Checks that a topology holds exactly `chips` accelerators; records the problem at `node`.
bool check_topology_size(const Source& src, const YAML::Node& node, const std::string& path,
                         const catalog::TopologySpec& topology, std::int64_t chips, const std::string& whose);

/// A registry with every built-in topology builder.
topo::BuilderRegistry builtin_topologies();

}  // namespace clustersim::scenario
