#pragma once
// Decodes a case's `reliability:` section (docs/scenario-format.md, "Reliability").
#include <optional>
#include <string>

#include "catalog/catalog.hpp"
#include "reliability/model.hpp"
#include "scenario/yaml_reader.hpp"

namespace clustersim::scenario {

std::optional<reliability::JobSpec> decode_reliability(const Source& src, const YAML::Node& node, const std::string& path,
                                                       const catalog::Catalog& cat);

}  // namespace clustersim::scenario
