#pragma once
// Decodes a case's `serving:` section (docs/scenario-format.md, "Serving").
#include <optional>
#include <string>

#include "catalog/catalog.hpp"
#include "scenario/yaml_reader.hpp"
#include "serve/spec.hpp"

namespace clustersim::scenario {

/// A serving section as written; instance sizes left out are the case's chip count, fixed once it
/// is known (check_serving_instances).
struct ServingDraft {
    serve::ServingSpec spec;
    bool prefill_chips_given = false;
    bool decode_chips_given = false;
    bool prefill_ep_given = false;
    bool decode_ep_given = false;
    YAML::Node node;  ///< the section, for locations
};

std::optional<ServingDraft> decode_serving(const Source& src, const YAML::Node& node, const std::string& path,
                                           const catalog::Catalog& cat);

/// Fills the instance sizes left out (the case's `chips`) and the default expert parallelism
/// (every rank of the instance for a mixture-of-experts model), and reports an instance larger than
/// the case; the plans' other problems are the model's to find (they depend on the cluster).
bool check_serving_instances(const Source& src, ServingDraft& d, const std::string& path, std::int64_t chips);

}  // namespace clustersim::scenario
