#pragma once
// Decodes an `economics:` section (docs/scenario-format.md, "Economics"): the electricity price,
// PUE and amortisation period that power and cost per token are computed under
// (docs/models/economics.md).
//
//   economics:
//     electricity_price: "0.08 USD/kWh"
//     pue: 1.3
//     amortization: "4 years"
//     omit_unknown_parts: false   # optional
#include <optional>
#include <string>

#include "catalog/catalog.hpp"
#include "economics/model.hpp"
#include "scenario/yaml_reader.hpp"

namespace clustersim::scenario {

/// Every problem goes to src's diagnostics with its file:line:col and key path; nullopt when any.
/// `cat`: the catalog the `silicon.process` id is looked up in.
std::optional<economics::Assumptions> decode_economics(const Source& src, const YAML::Node& node, const std::string& path,
                                                       const catalog::Catalog& cat);

}  // namespace clustersim::scenario
