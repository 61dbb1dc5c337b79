#pragma once
// Decodes a case's `training:` and `measured:` sections (docs/scenario-format.md, "Training").
#include <optional>
#include <string>

#include "catalog/catalog.hpp"
#include "catalog/cluster.hpp"
#include "scenario/yaml_reader.hpp"
#include "train/plan.hpp"
#include "train/validation.hpp"

namespace clustersim::scenario {

/// A training section as written; the data-parallel degree is fixed once the case's chip count is
/// known (check_training_plan).
struct TrainingDraft {
    train::TrainingSpec spec;
    std::optional<std::int64_t> dp;  ///< as written, if written
    YAML::Node node;                 ///< the section, for locations
    YAML::Node plan_node;            ///< undefined when the plan is searched
};

std::optional<TrainingDraft> decode_training(const Source& src, const YAML::Node& node, const std::string& path,
                                             const catalog::Catalog& cat);

/// Sets the plan's dp for `chips` (chips / (tp x pp x cp)) and reports a plan that cannot split
/// them; the plan's other problems are the model's to find (they depend on the cluster).
bool check_training_plan(const Source& src, TrainingDraft& d, const std::string& path, std::int64_t chips);

/// Reports what the case's cluster cannot run, at the key that asks for it: attention: flash_triton without the
/// chip's figures; a plan's activation offloading without the chip's host link or the system's host memory.
bool check_training_cluster(const Source& src, const TrainingDraft& d, const std::string& path, const catalog::Cluster& cluster);

std::optional<train::Measurement> decode_measured(const Source& src, const YAML::Node& node, const std::string& path);

}  // namespace clustersim::scenario
