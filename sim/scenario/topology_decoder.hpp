#pragma once
// Decodes a `topology:` mapping (system files and scenario cases) into topology builder params.
// YAML keys are the params structs' field names (sim/topo/params.hpp, networks.hpp, link.hpp),
// so every problem topo::validate() reports is shown at the file:line:col of its key.
// Format: docs/scenario-format.md#topology.
#include <optional>
#include <string>

#include "scenario/yaml_reader.hpp"
#include "catalog/topology_spec.hpp"
#include "topo/params.hpp"
#include "topo/registry.hpp"

namespace clustersim::scenario {

/// Decodes and validates; records every problem and returns nullopt when there is any.
std::optional<catalog::TopologySpec> decode_topology(const Source& src, const YAML::Node& node, const std::string& path,
                                               const topo::BuilderRegistry& registry);

/// Checks that a topology holds exactly `chips` accelerators; records the problem at `node`.
bool check_topology_size(const Source& src, const YAML::Node& node, const std::string& path,
                         const catalog::TopologySpec& topology, std::int64_t chips, const std::string& whose);

/// A registry with every built-in topology builder.
topo::BuilderRegistry builtin_topologies();

}  // namespace clustersim::scenario
