#pragma once
// Decodes a case's `comm:` section: a collective benchmark over message sizes on the case's
// network, like nccl-tests (docs/scenario-format.md, "Collective benchmarks").
#include <optional>
#include <string>

#include "comm/model.hpp"
#include "scenario/yaml_reader.hpp"

namespace clustersim::scenario {

/// The section's values; the group's fit to the case's chips is checked where the chips are known
/// (check_comm_groups).
std::optional<comm::BenchmarkSpec> decode_comm(const Source& src, const YAML::Node& node, const std::string& path);

/// Whether the spec's groups tile `chips` accelerators (Placement::tiled's rule); reports at `node`.
bool check_comm_groups(const Source& src, const YAML::Node& node, const std::string& path, const comm::BenchmarkSpec& spec,
                       std::int64_t chips);

}  // namespace clustersim::scenario
